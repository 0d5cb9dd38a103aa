#!/usr/bin/env node
'use strict';
// wsengine's ws-compatible WebSocketServer as an echo server, written exactly as the ws peer
// (ws_echo.js) is, with `require('wsengine')` in place of `require('ws')`.
//   node wsengine_echo.js PORT
const { WebSocketServer } = require('../../../bindings-node');

const port = Number(process.argv[2] || 8080);
const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false, maxPayload: 0 });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {});
});
wss.on('listening', () => console.log(`wsengine echo server on ws://127.0.0.1:${port}/`));
