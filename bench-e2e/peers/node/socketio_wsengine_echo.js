#!/usr/bin/env node
'use strict';
// Socket.IO 4 on wsengine: the same server as socketio_echo.js (websocket transport only, no
// compression, the 'echo' contract of wsengine-loadgen --socketio), with engine.io's `wsEngine`
// set to wsengine's ws-compatible WebSocketServer.
//   node socketio_wsengine_echo.js PORT
const http = require('http');
const { Server } = require('socket.io');
const { WebSocketServer } = require('../../../bindings-node');

const port = Number(process.argv[2] || 8080);
const server = http.createServer();
const io = new Server(server, {
  transports: ['websocket'],
  perMessageDeflate: false,
  serveClient: false,
  wsEngine: WebSocketServer,
});
io.on('connection', (socket) => socket.on('echo', (m) => socket.emit('echo', m)));
server.listen(port, '127.0.0.1', () => console.log(`socket.io (wsengine) echo server on ws://127.0.0.1:${port}/socket.io/`));
