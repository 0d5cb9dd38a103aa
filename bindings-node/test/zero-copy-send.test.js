'use strict';
// Large Buffers a server sends are written from the caller's memory after an engine-made
// header (Connection.sendZeroCopy), as ws writes them. A ws client checks that every message
// arrives whole and in order among small ones, as text or binary, and that the answers to
// messages that arrived with the peer's close frame still precede our close frame.
const test = require('node:test');
const assert = require('node:assert');
const crypto = require('crypto');
const { once } = require('events');
const WS = require('ws');
const { WebSocketServer, Connection } = require('..');

const listening = (wss) => new Promise((resolve) => wss.once('listening', resolve));

test('Connection.sendZeroCopy queues the header only, and refuses what send refuses', () => {
  const conn = Connection.open('server', {});
  conn.pollEvents();
  const payload = crypto.randomBytes(20000);
  const head = conn.sendZeroCopy(payload);
  assert.deepStrictEqual([...head], [0x82, 126, 20000 >> 8, 20000 & 0xff], 'the output taken is the header');
  assert.strictEqual(conn.takeOutput(), null, 'nothing else is queued');
  // Output queued before the message comes first, in the same Buffer.
  conn.sendText('hi');
  assert.deepStrictEqual([...conn.sendZeroCopy(payload, false)], [0x81, 2, 0x68, 0x69, 0x82, 126, 20000 >> 8, 20000 & 0xff]);
  assert.throws(() => conn.sendZeroCopy(Buffer.from([0xff, 0xfe]), true), (e) => e.kind === 'invalid_input');
  assert.strictEqual(conn.takeOutput(), null, 'a refused send writes nothing');
  // A client must mask, so the engine owns the payload and sends the whole frame itself.
  const client = Connection.open('client', {});
  client.pollEvents();
  assert.strictEqual(client.sendZeroCopy(payload), null);
  assert.strictEqual(client.takeOutput().length, 2 + 2 + 4 + payload.length);
});

test('large Buffers among small messages reach a ws client whole and in order', async (t) => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  t.after(() => wss.close());
  await listening(wss);
  const text = Buffer.from('añ€𝄞'.repeat(10000)); // 100,000 bytes of UTF-8
  const messages = [
    ['small', false],
    [crypto.randomBytes(16 * 1024), true], // the threshold itself
    [text, false], // a Buffer sent as text
    [Buffer.from([1, 2, 3]), true],
    [new Uint8Array(crypto.randomBytes(1 << 20)), true], // not a Buffer
    [crypto.randomBytes(70000).buffer, true], // an ArrayBuffer
    ['tail', false],
  ];
  const written = [];
  wss.on('connection', (ws) => {
    messages.forEach(([data, binary], i) => ws.send(data, { binary }, (err) => written.push(err ? err : i)));
    ws.close(1000, 'done');
  });
  const client = new WS(`ws://127.0.0.1:${wss.address().port}`);
  const got = [];
  client.on('message', (data, isBinary) => got.push([data, isBinary]));
  const [code, reason] = await once(client, 'close');
  assert.strictEqual(code, 1000);
  assert.strictEqual(reason.toString(), 'done');
  assert.strictEqual(got.length, messages.length);
  messages.forEach(([data, binary], i) => {
    const want = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data instanceof ArrayBuffer ? new Uint8Array(data) : data);
    assert.strictEqual(got[i][1], binary, `message ${i} binary`);
    assert.ok(got[i][0].equals(want), `message ${i} bytes`);
  });
  assert.deepStrictEqual(written, messages.map((_, i) => i), 'every send callback ran once, in order, without error');
});

test('large echoes of messages that came with the close frame precede our close frame', async (t) => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  t.after(() => wss.close());
  await listening(wss);
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  const client = new WS(`ws://127.0.0.1:${wss.address().port}`);
  await once(client, 'open');
  const sent = [crypto.randomBytes(50000), crypto.randomBytes(200000), Buffer.from('é'.repeat(30000))];
  const got = [];
  client.on('message', (data) => got.push(data));
  // One write: the messages and the close frame arrive in the same read, as Autobahn 7.1.1.
  client._socket.cork();
  sent.forEach((m, i) => client.send(m, { binary: i < 2 }));
  client.close(1000);
  client._socket.uncork();
  const [code] = await once(client, 'close');
  assert.strictEqual(code, 1000);
  assert.strictEqual(got.length, sent.length, 'every echo arrived before the close frame');
  sent.forEach((m, i) => assert.ok(got[i].equals(m), `echo ${i}`));
});

test('invalid UTF-8 in a large Buffer sent as text is refused like a small one, and nothing is written', async (t) => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  t.after(() => wss.close());
  await listening(wss);
  const bad = Buffer.alloc(40000, 0x61);
  bad[39999] = 0xff;
  const errors = [];
  wss.on('connection', (ws) => {
    ws.send(bad, { binary: false }, (err) => errors.push(err));
    ws.send(bad.subarray(39990), { binary: false }, (err) => errors.push(err));
    ws.send('still open', () => ws.close(1000));
  });
  const client = new WS(`ws://127.0.0.1:${wss.address().port}`);
  const got = [];
  client.on('message', (data) => got.push(data.toString()));
  const [code] = await once(client, 'close');
  assert.strictEqual(code, 1000);
  assert.deepStrictEqual(got, ['still open']);
  assert.strictEqual(errors.length, 2);
  for (const err of errors) assert.strictEqual(err.kind, 'invalid_input');
});
