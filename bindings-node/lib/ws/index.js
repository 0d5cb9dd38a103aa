'use strict';
// The ws-compatible API: `const { WebSocketServer, WebSocket, createWebSocketStream } =
// require('wsengine')` works as the same names from `ws` 8 do. As on ws's default export, the
// WebSocket class also carries the others (`WebSocket.Server`, `WebSocket.WebSocketServer`, ...),
// for code written as `import WebSocket from 'ws'; new WebSocket.Server(...)`.

const { WebSocket } = require('./websocket.js');
const { WebSocketServer } = require('./server.js');
const { createWebSocketStream } = require('./stream.js');

for (const [name, value] of Object.entries({
  WebSocket,
  WebSocketServer,
  Server: WebSocketServer,
  createWebSocketStream,
})) {
  Object.defineProperty(WebSocket, name, { value, enumerable: false, configurable: true, writable: true });
}

module.exports = { WebSocket, WebSocketServer, createWebSocketStream };
