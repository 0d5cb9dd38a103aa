#!/usr/bin/env node
'use strict';
// An echo server on the ws-compatible API, as a ws user writes it (require('wsengine') in place
// of require('ws')), with the limits the Autobahn testsuite's fuzzing client expects (section 9
// sends messages of up to 16 MiB) and permessage-deflate on:
//   node examples/ws-echo-server.js [port]      (default 9004), then ws://127.0.0.1:<port>/
// tests/conformance/run.sh runs every case against it.
const { WebSocketServer } = require('..');

const port = Number(process.argv[2] || 9004);
const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: true, maxPayload: 64 << 20 });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {}); // the engine already closed with the right code
});
wss.on('listening', () => console.log(`ws-compatible echo server on ws://127.0.0.1:${port}/`));
