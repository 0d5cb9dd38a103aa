#!/usr/bin/env node
'use strict';
// An Autobahn fuzzingserver client on the Node binding's W3C `WebSocket` (bindings-node/websocket.js):
//   node tests/conformance/clients/autobahn_client_w3c.js [--url ws://127.0.0.1:9001] [--agent wsengine-w3c]
// GET /getCaseCount, then /runCase?case=N&agent=A for every case (echoing every message from the
// `message` event handler, as a browser application would), then /updateReports?agent=A.
// permessage-deflate is turned on with the engine's default settings (a Node extension option of
// this class; a browser offers it by itself); everything else is the class's default behaviour.
const path = require('path');
const { WebSocket } = require(path.join(__dirname, '../../../bindings-node/websocket.js'));

// Node extension options: compression on, and limits large enough for Autobahn's section 9
// (up to 16 MiB messages with --full).
const OPTIONS = { deflate: true, maxFrameSize: 64 << 20, maxMessageSize: 64 << 20, maxOutputBuffer: 256 << 20 };

/** One WebSocket session; resolves with the first text message (or null) once `close` fired. */
function session(url, echo) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, [], OPTIONS);
    // The standard's synchronous binary type (the default, 'blob', is read back asynchronously).
    ws.binaryType = 'arraybuffer';
    let first = null;
    ws.onmessage = (e) => {
      if (typeof e.data === 'string' && first === null) first = e.data;
      // `message` fires only while the connection is open, so every echo is allowed here.
      if (echo) ws.send(e.data);
    };
    ws.onerror = () => {};
    ws.onclose = () => resolve(first);
  });
}

async function main() {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => (args.indexOf(name) >= 0 ? args[args.indexOf(name) + 1] : dflt);
  const base = opt('--url', 'ws://127.0.0.1:9001').replace(/\/$/, '');
  const agent = opt('--agent', 'wsengine-w3c');
  const count = await session(`${base}/getCaseCount`, false);
  if (count === null || !/^\d+$/.test(count.trim())) {
    console.error('getCaseCount: no answer');
    process.exit(1);
  }
  for (let n = 1; n <= Number(count); n++) {
    await session(`${base}/runCase?case=${n}&agent=${agent}`, true);
  }
  await session(`${base}/updateReports?agent=${agent}`, false);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  }
);
