#!/usr/bin/env node
'use strict';
// An echo server on plain `net`: the engine reads the HTTP upgrade request itself.
//   node examples/net-server.js [port]      then connect to ws://127.0.0.1:<port>/
// `start({ api })` runs it on another package with the same API (wsengine-wasm does).
const net = require('net');

function start({ port = 0, host = '127.0.0.1', options = {}, api = require('..') } = {}) {
  const { Connection, attach } = api;
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    const conn = Connection.server(options);
    const driver = attach(conn, socket, (ev) => {
      switch (ev.type) {
        case 'request':
          conn.accept(); // subprotocol: the first of options.protocols the client offered
          driver.dispatch(conn.pollEvents());
          break;
        case 'httpRequest':
          conn.respond(200, { 'Content-Type': 'text/plain' }, 'wsengine echo server: connect with a WebSocket\n');
          driver.dispatch(conn.pollEvents());
          break;
        case 'text':
          if (ev.data.startsWith('close:')) conn.closeWith(Number(ev.data.slice(6)), 'as asked');
          // A message can arrive in the same read as the peer's close or a bad frame:
          // it can still be answered (before our close frame).
          else if (conn.canSend) conn.sendText(ev.data);
          break;
        case 'binary':
          if (conn.canSend) conn.sendBinary(ev.data);
          break;
        case 'failed':
          if (server.listenerCount('peerError')) server.emit('peerError', ev.error);
          break;
        default:
          break;
      }
    });
  });
  return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
}

module.exports = { start };

if (require.main === module) {
  start({ port: Number(process.argv[2] || 8080), options: { deflate: require('..').deflateSupported } }).then((s) => {
    console.log(`echo server on ws://127.0.0.1:${s.address().port}/`);
  });
}
