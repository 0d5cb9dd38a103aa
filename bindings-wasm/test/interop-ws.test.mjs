// Interop with the `ws` package over 127.0.0.1 sockets, driven from JS: the wasm engine as a
// server for a `ws` client and as a client of a `ws` server, with and without
// permessage-deflate. Every test closes its sockets and servers; each has a time limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Connection, attach } = require('..');
const WebSocket = require('ws');

const TIMEOUT = 20_000;

/** An echo server on the wasm engine; returns { port, close, closes } */
async function wasmEchoServer(options = {}) {
  const closes = [];
  const sockets = new Set();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const conn = Connection.server(options);
    const link = attach(conn, socket, (ev) => {
      if (ev.type === 'request') {
        conn.accept();
        link.dispatch(conn.pollEvents());
      } else if (ev.type === 'text' || ev.type === 'binary') {
        conn.send(ev.data);
        link.flush();
      } else if (ev.type === 'closed') {
        closes.push(ev);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: server.address().port,
    closes,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(r));
    },
  };
}

function collect(ws, n) {
  return new Promise((resolve, reject) => {
    const got = [];
    ws.on('message', (data, isBinary) => {
      got.push(isBinary ? Buffer.from(data) : data.toString());
      if (got.length === n) resolve(got);
    });
    ws.on('error', reject);
  });
}

for (const deflate of [false, true]) {
  test(`ws client -> wasm server (deflate ${deflate})`, { timeout: TIMEOUT }, async () => {
    const srv = await wasmEchoServer(deflate ? { deflate: true } : {});
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/echo`, { perMessageDeflate: deflate });
      await once(ws, 'open');
      assert.equal(ws.extensions.includes('permessage-deflate'), deflate, ws.extensions);
      const big = Buffer.alloc(300_000);
      for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
      const text = 'héllo wörld 😀 '.repeat(2000);
      const msgs = collect(ws, 4);
      ws.send('Hello');
      ws.send(Buffer.from([1, 2, 3]));
      ws.send(text);
      ws.send(big);
      const got = await msgs;
      assert.equal(got[0], 'Hello');
      assert.deepEqual(got[1], Buffer.from([1, 2, 3]));
      assert.equal(got[2], text);
      assert.ok(got[3].equals(big));
      ws.close(1000, 'bye');
      const [code, reason] = await once(ws, 'close');
      assert.equal(code, 1000);
      assert.equal(reason.toString(), 'bye');
      while (srv.closes.length === 0) await new Promise((r) => setTimeout(r, 10));
      assert.equal(srv.closes[0].code, 1000);
      assert.equal(srv.closes[0].wasClean, true);
    } finally {
      await srv.close();
    }
  });

  test(`wasm client -> ws server (deflate ${deflate})`, { timeout: TIMEOUT }, async () => {
    const wss = new WebSocket.WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: deflate });
    await once(wss, 'listening');
    wss.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
    try {
      const port = wss.address().port;
      const socket = net.connect(port, '127.0.0.1');
      const conn = Connection.client(`ws://127.0.0.1:${port}/x`, deflate ? { deflate: true } : {});
      const events = [];
      let wake = null;
      const next = (type) =>
        new Promise((resolve) => {
          const look = () => {
            const i = events.findIndex((e) => e.type === type);
            if (i >= 0) resolve(events.splice(i, 1)[0]);
            else wake = look;
          };
          look();
        });
      const link = attach(conn, socket, (ev) => {
        events.push(ev);
        if (wake) {
          const w = wake;
          wake = null;
          w();
        }
      });
      const open = await next('open');
      assert.equal(open.extensions !== null && open.extensions.includes('permessage-deflate'), deflate);
      const big = new Uint8Array(1 << 20);
      for (let i = 0; i < big.length; i++) big[i] = (i * 13) & 0xff;
      conn.sendText('Hello ws');
      link.flush();
      assert.equal((await next('text')).data, 'Hello ws');
      conn.sendBinary(big);
      link.flush();
      const echoed = await next('binary');
      assert.equal(Buffer.compare(echoed.data, Buffer.from(big)), 0);
      conn.close(1000, 'done');
      link.flush();
      const closed = await next('closed');
      assert.equal(closed.code, 1000);
      assert.equal(closed.wasClean, true);
      socket.destroy();
    } finally {
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => wss.close(r));
    }
  });
}

test('ws client sends invalid UTF-8: wasm server fails with 1007', { timeout: TIMEOUT }, async () => {
  const srv = await wasmEchoServer();
  try {
    const socket = net.connect(srv.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'
    );
    // A masked text frame with 0xC3 0x28 (invalid UTF-8), mask 0.
    socket.write(Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0xc3, 0x28]));
    const chunks = [];
    socket.on('data', (d) => chunks.push(d));
    await once(socket, 'close');
    const all = Buffer.concat(chunks);
    const frame = all.subarray(all.indexOf('\r\n\r\n') + 4);
    assert.equal(frame[0], 0x88);
    assert.equal(frame.readUInt16BE(2), 1007);
  } finally {
    await srv.close();
  }
});
