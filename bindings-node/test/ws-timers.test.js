'use strict';
// The ws-shaped layer arms the engine's deadline after a read only when the engine reports one
// (lib/ws/websocket.js `_dispatch`, `hadDeadline`). These drive each timer over a real socket,
// after reads, against a raw peer that stays silent: every connection must end on its own.
const test = require('node:test');
const assert = require('node:assert');
const crypto = require('crypto');
const net = require('net');
const { WebSocketServer, WebSocket } = require('..');

/** A frame of opcode `op` (masked, as a client sends it, unless `mask` is false). */
function frame(op, payload, mask = true) {
  const p = Buffer.from(payload);
  const head = Buffer.from([0x80 | op, (mask ? 0x80 : 0) | p.length]);
  if (!mask) return Buffer.concat([head, p]);
  const m = crypto.randomBytes(4);
  return Buffer.concat([head, m, Buffer.from(p.map((b, i) => b ^ m[i & 3]))]);
}

/** A raw client that completes the handshake, then runs `after(socket)` and never answers. */
function rawClient(port, after) {
  const s = net.connect(port, '127.0.0.1', () => {
    s.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
  });
  let got = Buffer.alloc(0);
  let open = false;
  s.on('data', (d) => {
    got = Buffer.concat([got, d]);
    if (!open && got.includes('\r\n\r\n')) {
      open = true;
      after(s);
    }
  });
  s.on('error', () => {});
  return s;
}

/** The server connection's close code and how long it took, with `opts` and a silent peer. */
function serverCase(opts, onConnection, after) {
  return new Promise((resolve, reject) => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...opts }, () => {
      const t0 = Date.now();
      const client = rawClient(wss.address().port, after);
      const stuck = setTimeout(() => {
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        client.destroy();
        reject(new Error('the connection did not end by itself within 5 s'));
      }, 5000);
      wss.on('connection', (ws) => {
        if (onConnection) onConnection(ws);
        ws.on('error', () => {});
        ws.on('close', (code) => {
          clearTimeout(stuck);
          wss.close();
          client.destroy();
          resolve({ code, ms: Date.now() - t0 });
        });
      });
    });
  });
}

test('a handler that closes after a read: the close timeout ends it when the peer never answers', async () => {
  const r = await serverCase({ closeTimeout: 200 }, (ws) => ws.on('message', () => ws.close(1000)),
    (s) => s.write(frame(2, 'hi')));
  assert.strictEqual(r.code, 1006); // no close frame came back
  assert.ok(r.ms >= 150, `closed after ${r.ms} ms, before the close timeout`);
});

test('idle timeout after traffic stops, then the close timeout', async () => {
  const r = await serverCase({ idleTimeout: 150, closeTimeout: 150 }, null, (s) => {
    let n = 0;
    const iv = setInterval(() => {
      s.write(frame(2, 'x'));
      if (++n === 4) clearInterval(iv);
    }, 40);
  });
  assert.ok(r.ms >= 150 + 150, `closed after ${r.ms} ms`);
});

test('keepalive pings a silent peer and gives up at the pong timeout', async () => {
  const r = await serverCase({ pingInterval: 100, pongTimeout: 100, closeTimeout: 100 }, null,
    (s) => s.write(frame(2, 'x')));
  assert.strictEqual(r.code, 1006);
});

test('a client whose server sends a close and keeps TCP open ends at its close timeout', async () => {
  const peers = new Set();
  const server = net.createServer((s) => {
    peers.add(s);
    s.once('data', (req) => {
      const key = /sec-websocket-key: *(.*)\r\n/i.exec(req.toString())[1].trim();
      const accept = crypto.createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
      s.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      s.write(Buffer.from([0x88, 0x02, 0x03, 0xe8])); // close 1000, and TCP stays open
      s.on('data', () => {}); // reads our close answer, never ends the connection
    });
    s.on('error', () => {});
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  try {
    const t0 = Date.now();
    const ws = new WebSocket(`ws://127.0.0.1:${server.address().port}/`, { closeTimeout: 200 });
    ws.on('error', () => {});
    const code = await new Promise((resolve, reject) => {
      const stuck = setTimeout(() => {
        ws.terminate();
        reject(new Error('the client did not close within 5 s'));
      }, 5000);
      ws.on('close', (c) => {
        clearTimeout(stuck);
        resolve(c);
      });
    });
    assert.strictEqual(code, 1000);
    assert.ok(Date.now() - t0 >= 150, 'closed before the close timeout');
  } finally {
    for (const s of peers) s.destroy();
    server.close();
  }
});
