'use strict';
// The ws-compatible API: `const { WebSocketServer, WebSocket, createWebSocketStream } =
// require('wsengine')` works as the same names from `ws` 8 do.

const { WebSocket } = require('./websocket.js');
const { WebSocketServer } = require('./server.js');
const { createWebSocketStream } = require('./stream.js');

module.exports = { WebSocket, WebSocketServer, createWebSocketStream };
