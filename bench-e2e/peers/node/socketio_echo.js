#!/usr/bin/env node
'use strict';
// The Socket.IO servers of the end-to-end benchmarks: Socket.IO 4, websocket transport only,
// no compression, on the engine named by the second argument:
//   node socketio_echo.js PORT              engine.io's default (ws): the reference peer
//   node socketio_echo.js PORT wsengine     wsEngine: wsengine's ws-compatible WebSocketServer
//   NODE socketio_echo.js PORT eiows        wsEngine: eiows's Server, the native engine Socket.IO
//                                           users pick for speed; it loads only under the Node it
//                                           was built for (setup-eiows.sh: target/eiows/, Node 22)
//   PING_INTERVAL_MS=N: engine.io pings every N ms (for tests).
// The contract every Socket.IO server of the comparison keeps (wsengine-loadgen --socketio):
// an 'echo' event is answered with an 'echo' event carrying the same argument.
const http = require('http');
const { Server } = require('socket.io');

const port = Number(process.argv[2] || 8080);
const engine = process.argv[3] || 'ws';
const ENGINES = {
  ws: () => undefined,
  wsengine: () => require('../../../bindings-node').WebSocketServer,
  eiows: () => require('../../../target/eiows/node_modules/eiows').Server,
};
if (!ENGINES[engine]) throw new Error(`unknown engine ${engine} (ws, wsengine or eiows)`);
const server = http.createServer();
const options = { transports: ['websocket'], perMessageDeflate: false, serveClient: false };
const wsEngine = ENGINES[engine]();
if (wsEngine) options.wsEngine = wsEngine;
if (process.env.PING_INTERVAL_MS) {
  // A client that does not answer a ping within pingTimeout is disconnected.
  Object.assign(options, { pingInterval: Number(process.env.PING_INTERVAL_MS), pingTimeout: 500 });
}
const io = new Server(server, options);
io.on('connection', (socket) => socket.on('echo', (m) => socket.emit('echo', m)));
server.listen(port, '127.0.0.1', () =>
  console.log(`socket.io (${engine}) echo server on ws://127.0.0.1:${port}/socket.io/ (node ${process.version})`));
