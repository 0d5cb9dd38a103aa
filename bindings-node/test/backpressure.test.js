'use strict';
// Back-pressure and memory: a peer that never reads cannot make the server queue more than its
// configured bound (the engine's maxOutputBuffer, plus what one write handed to the socket);
// sends beyond it fail with output_buffer_full. pause() stops reading from the socket.
const test = require('node:test');
const assert = require('node:assert');
const net = require('net');
const crypto = require('crypto');
const { once } = require('events');
const WS = require('ws');
const { WebSocketServer } = require('..');

const listening = (wss) => new Promise((resolve) => wss.once('listening', resolve));
const tick = () => new Promise((r) => setImmediate(r));

test('a client that never reads cannot grow the server past maxOutputBuffer', async (t) => {
  const MAX = 4 << 20; // engine queue bound
  const MESSAGE = 256 << 10;
  const ATTEMPT = 512 << 20; // what the application tries to send: 128x the bound
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', maxOutputBuffer: MAX });
  await listening(wss);

  // A raw client: handshake, then it stops reading for good.
  const client = net.connect(wss.address().port, '127.0.0.1');
  client.write(
    'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`
  );
  client.once('data', () => client.pause());

  const [ws] = await once(wss, 'connection');
  const payload = crypto.randomBytes(MESSAGE);
  const before = process.memoryUsage();
  let accepted = 0;
  let refused = null;
  let peakBuffered = 0;
  let peakExternal = 0;
  for (let sent = 0; sent < ATTEMPT && refused === null; sent += MESSAGE) {
    await new Promise((resolve) => {
      ws.send(payload, (err) => {
        if (err) refused = err;
        else accepted += MESSAGE;
        resolve();
      });
      // Callbacks of queued data run once it is written; do not wait for those.
      setImmediate(resolve);
    });
    peakBuffered = Math.max(peakBuffered, ws.bufferedAmount);
    const m = process.memoryUsage();
    peakExternal = Math.max(peakExternal, m.external + m.arrayBuffers - before.external - before.arrayBuffers);
  }
  t.diagnostic(
    `tried up to ${ATTEMPT >> 20} MiB; refused after ${(peakBuffered / 1048576).toFixed(1)} MiB queued ` +
      `(bound ${MAX >> 20} MiB engine + one socket write); external memory growth ${(peakExternal / 1048576).toFixed(1)} MiB`
  );
  assert.ok(refused, 'sends beyond the bound are refused');
  assert.strictEqual(refused.kind, 'output_buffer_full');
  // Queued: at most the engine bound plus one write of at most the bound.
  assert.ok(peakBuffered <= 2 * MAX + MESSAGE, `bufferedAmount ${peakBuffered}`);
  assert.ok(peakExternal < 4 * MAX + 16 * MESSAGE, `memory grew by ${peakExternal}`);
  assert.strictEqual(ws.readyState, ws.OPEN, 'the connection itself stays open');

  client.destroy();
  await once(ws, 'close');
  await new Promise((resolve) => wss.close(resolve));
});

test('pause() stops reading from the socket; resume() delivers what waited', async (t) => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await listening(wss);
  const url = `ws://127.0.0.1:${wss.address().port}/`;
  let received = 0;
  wss.on('connection', (ws, req) => {
    if (req.url === '/barrier') {
      ws.on('message', (d) => ws.send(d));
      return;
    }
    ws.pause();
    assert.strictEqual(ws.isPaused, true);
    ws.on('message', () => received++);
    ws.send('paused');
    wss.paused = ws;
  });

  const client = new WS(url);
  await once(client, 'message');
  const serverWs = wss.paused;
  const bytesBefore = serverWs._socket.bytesRead;
  // 32 MiB while the server does not read: more than loopback's kernel buffers hold.
  const chunk = Buffer.alloc(1 << 20, 1);
  for (let i = 0; i < 32; i++) client.send(chunk);
  // A barrier: a full round trip on another connection, and many event-loop turns.
  const other = new WS(url.replace(/\/$/, '/barrier'));
  await once(other, 'open');
  for (let i = 0; i < 20; i++) {
    other.send('x');
    await once(other, 'message');
    await tick();
  }
  assert.strictEqual(received, 0, 'no message while paused');
  // Node stops the handle's reads once the stream's buffer passes its high-water mark: at most
  // about one read (64 KiB) more is taken from the kernel, of the 32 MiB sent.
  const readWhilePaused = serverWs._socket.bytesRead - bytesBefore;
  t.diagnostic(`read from the socket while paused: ${readWhilePaused} bytes of ${32 << 20} sent`);
  assert.ok(readWhilePaused <= 4 * serverWs._socket.readableHighWaterMark, `read ${readWhilePaused} bytes while paused`);
  assert.ok(client.bufferedAmount > 0, 'the sender is held back');

  serverWs.resume();
  assert.strictEqual(serverWs.isPaused, false);
  while (received < 32) await tick();
  assert.strictEqual(received, 32);
  client.close();
  other.close();
  await Promise.all([once(client, 'close'), once(other, 'close')]);
  await new Promise((resolve) => wss.close(resolve));
});

test('many large sends in one tick to a peer that does not read stay bounded too', async () => {
  const MAX = 4 << 20;
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', maxOutputBuffer: MAX });
  await listening(wss);
  const client = net.connect(wss.address().port, '127.0.0.1');
  client.write(
    'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`
  );
  client.once('data', () => client.pause());
  const [ws] = await once(wss, 'connection');
  const payload = Buffer.alloc(64 << 10, 7);
  const errors = [];
  // 64 MiB in one synchronous loop: no flush runs in between.
  for (let i = 0; i < 1024; i++) ws.send(payload, (err) => err && errors.push(err.kind));
  assert.ok(ws.bufferedAmount <= MAX + (1 << 20) + payload.length, `bufferedAmount ${ws.bufferedAmount}`);
  await tick();
  assert.ok(errors.length > 0 && errors.every((k) => k === 'output_buffer_full'));
  client.destroy();
  await once(ws, 'close');
  await new Promise((resolve) => wss.close(resolve));
});

test('a refused send with no callback and no error listener closes the connection (1011), the server lives', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', maxOutputBuffer: 1 << 20, closeTimeout: 300 });
  await listening(wss);
  const client = net.connect(wss.address().port, '127.0.0.1');
  client.write(
    'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`
  );
  client.once('data', () => client.pause());
  const [ws] = await once(wss, 'connection');
  const payload = Buffer.alloc(256 << 10, 7);
  for (let i = 0; i < 64 && ws.readyState === ws.OPEN; i++) {
    ws.send(payload);
    await tick();
  }
  assert.strictEqual(ws.readyState, ws.CLOSING);
  // The peer never reads our close frame: the engine's close timeout ends the connection.
  const [code] = await once(ws, 'close');
  assert.strictEqual(typeof code, 'number');
  client.destroy();
  await new Promise((resolve) => wss.close(resolve));
});
