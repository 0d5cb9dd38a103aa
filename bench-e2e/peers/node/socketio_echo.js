#!/usr/bin/env node
'use strict';
// The Socket.IO reference peer of the end-to-end benchmarks: Socket.IO 4 with its default
// engine (engine.io on ws), websocket transport only, no compression.
//   node socketio_echo.js PORT           (PING_INTERVAL_MS=N: engine.io pings every N ms, for tests)
// The contract every Socket.IO server of the comparison keeps (wsengine-loadgen --socketio):
// an 'echo' event is answered with an 'echo' event carrying the same argument.
const http = require('http');
const { Server } = require('socket.io');

const port = Number(process.argv[2] || 8080);
const server = http.createServer();
const options = { transports: ['websocket'], perMessageDeflate: false, serveClient: false };
if (process.env.PING_INTERVAL_MS) {
  // A client that does not answer a ping within pingTimeout is disconnected.
  Object.assign(options, { pingInterval: Number(process.env.PING_INTERVAL_MS), pingTimeout: 500 });
}
const io = new Server(server, options);
io.on('connection', (socket) => socket.on('echo', (m) => socket.emit('echo', m)));
server.listen(port, '127.0.0.1', () => console.log(`socket.io echo server on ws://127.0.0.1:${port}/socket.io/`));
