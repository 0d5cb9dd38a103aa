#!/usr/bin/env node
'use strict';
// An Autobahn fuzzingserver client on the Node binding (net + attach):
//   node tests/conformance/clients/autobahn_client.js [--url ws://127.0.0.1:9001] [--agent wsengine-node]
// GET /getCaseCount, then /runCase?case=N&agent=A for every case (echoing every message until
// the server closes), then /updateReports?agent=A. permessage-deflate is offered.
const net = require('net');
const path = require('path');
const { Connection, attach, deflateSupported } = require(path.join(__dirname, '../../../bindings-node'));

const OPTIONS = { maxFrameSize: 64 << 20, maxMessageSize: 64 << 20, maxOutputBuffer: 256 << 20, deflate: deflateSupported };

function session(url, echo) {
  return new Promise((resolve) => {
    const u = new URL(url);
    const socket = net.connect({ host: u.hostname, port: Number(u.port || 80) });
    socket.setNoDelay(true);
    const conn = Connection.client(url, OPTIONS);
    let first = null;
    let settled = false;
    const done = () => {
      if (!settled) {
        settled = true;
        resolve(first);
      }
    };
    socket.on('connect', () => {
      attach(conn, socket, (ev) => {
        // A message can come in the same read as the server's close or a bad frame:
        // it can still be answered (before our close frame).
        if (ev.type === 'text') {
          if (first === null) first = ev.data;
          if (echo && conn.canSend) conn.sendText(ev.data);
        } else if (ev.type === 'binary') {
          if (echo && conn.canSend) conn.sendBinary(ev.data);
        } else if (ev.type === 'closed') {
          done();
        }
      });
    });
    socket.on('close', done);
    socket.on('error', () => {});
  });
}

async function main() {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => (args.indexOf(name) >= 0 ? args[args.indexOf(name) + 1] : dflt);
  const base = opt('--url', 'ws://127.0.0.1:9001').replace(/\/$/, '');
  const agent = opt('--agent', 'wsengine-node');
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
