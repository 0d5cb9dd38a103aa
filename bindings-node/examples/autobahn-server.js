#!/usr/bin/env node
'use strict';
// An echo server for the Autobahn testsuite's fuzzing client (`wstest -m fuzzingclient`):
// every text and binary message goes back as it came, on any path, with the large limits the
// testsuite expects (section 9 sends 16 MiB messages) and permessage-deflate on.
//   node examples/autobahn-server.js [port]      (default 9003), then ws://127.0.0.1:<port>/
// tests/conformance/run.sh tests it the same way.
const net = require('net');
const { Connection, attach, deflateSupported } = require('..');

const OPTIONS = {
  maxFrameSize: 64 << 20,
  maxMessageSize: 64 << 20,
  maxOutputBuffer: 256 << 20,
  deflate: deflateSupported,
};

function start({ port = 9003, host = '127.0.0.1', options = OPTIONS } = {}) {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    const conn = Connection.server(options);
    const driver = attach(conn, socket, (ev) => {
      switch (ev.type) {
        case 'request':
          conn.accept();
          driver.dispatch(conn.pollEvents());
          break;
        case 'httpRequest':
          conn.respond(404, { 'Content-Type': 'text/plain' }, 'WebSocket only\n');
          driver.dispatch(conn.pollEvents());
          break;
        case 'text':
          // A message can arrive in the same read as the peer's close or a bad frame:
          // it can still be answered (before our close frame).
          if (conn.canSend) conn.sendText(ev.data);
          break;
        case 'binary':
          if (conn.canSend) conn.sendBinary(ev.data);
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
  start({ port: Number(process.argv[2] || 9003) }).then((s) => {
    console.log(`wsengine Autobahn echo server on ws://127.0.0.1:${s.address().port}/`);
  });
}
