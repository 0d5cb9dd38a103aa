#!/usr/bin/env node
'use strict';
// The Node reference peer of the end-to-end benchmarks: an echo server on `ws` with bufferutil
// (ws loads it by itself when installed), written as ws's README shows one.
//   node ws_echo.js PORT
// Every message goes back as it came (text as text, binary as binary), at any path.
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2] || 8080);
const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false, maxPayload: 0 });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {});
});
wss.on('listening', () => console.log(`ws echo server on ws://127.0.0.1:${port}/`));
