'use strict';
// Interop over 127.0.0.1 with the `ws` package: ws as client of our servers (net and http
// examples), and our W3C WebSocket client against a ws server; compression off and on.
const test = require('node:test');
const assert = require('node:assert');
const crypto = require('crypto');
const WS = require('ws');
const { deflateSupported } = require('..');
const { WebSocket } = require('wsengine/w3c'); // the W3C client
const netServer = require('../examples/net-server.js');
const httpServer = require('../examples/http-server.js');

const once = (emitter, name) => new Promise((resolve) => emitter.once(name, (...a) => resolve(a)));

function wsClientRoundTrip(url, perMessageDeflate) {
  return new Promise((resolve, reject) => {
    const client = new WS(url, { perMessageDeflate });
    const got = [];
    const big = crypto.randomBytes(1 << 20);
    const utf = 'héllo wörld 😀 '.repeat(2000);
    const timer = setTimeout(() => reject(new Error('timeout')), 10000);
    client.on('open', () => {
      client.send('hello');
      client.send(utf);
      client.send(big);
      client.send(Buffer.alloc(0));
      client.send('close:4001');
    });
    client.on('message', (data, isBinary) => got.push(isBinary ? Buffer.from(data) : data.toString()));
    client.on('error', reject);
    client.on('close', (code, reason) => {
      clearTimeout(timer);
      try {
        assert.deepStrictEqual(got.slice(0, 2), ['hello', utf]);
        assert.ok(big.equals(got[2]));
        assert.strictEqual(got[3].length, 0);
        assert.strictEqual(code, 4001);
        assert.strictEqual(reason.toString(), 'as asked');
        resolve(client);
      } catch (e) {
        reject(e);
      }
    });
  });
}

for (const compress of [false, true]) {
  const label = compress ? 'compression on' : 'compression off';
  const skip = compress && !deflateSupported ? 'deflate not compiled in' : false;

  test(`ws client -> net-server example (${label})`, { skip }, async () => {
    const server = await netServer.start({ options: { deflate: compress } });
    try {
      const client = await wsClientRoundTrip(`ws://127.0.0.1:${server.address().port}/`, compress);
      assert.strictEqual(client.extensions.includes('permessage-deflate'), compress);
    } finally {
      server.close();
    }
  });

  test(`ws client -> http-server example (${label})`, { skip }, async () => {
    const server = await httpServer.start({ options: { deflate: compress } });
    try {
      const client = await wsClientRoundTrip(`ws://127.0.0.1:${server.address().port}/echo`, compress);
      assert.strictEqual(client.extensions.includes('permessage-deflate'), compress);
      // A refused path: ws sees the 404.
      const bad = new WS(`ws://127.0.0.1:${server.address().port}/nope`);
      const [, res] = await once(bad, 'unexpected-response');
      assert.strictEqual(res.statusCode, 404);
      res.destroy();
    } finally {
      server.close();
    }
  });

  test(`WebSocket client -> ws server (${label})`, { skip }, async () => {
    const wss = new WS.Server({
      host: '127.0.0.1',
      port: 0,
      perMessageDeflate: compress,
      handleProtocols: (protocols) => (protocols.has('chat') ? 'chat' : false),
    });
    await once(wss, 'listening');
    wss.on('connection', (sock) => {
      sock.on('message', (data, isBinary) => {
        const s = isBinary ? null : data.toString();
        if (s === 'bye') sock.close(4002, 'server says bye');
        else sock.send(data, { binary: isBinary });
      });
    });
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${wss.address().port}/x`, ['chat', 'other'], { deflate: compress });
      assert.strictEqual(ws.readyState, WebSocket.CONNECTING);
      assert.throws(() => ws.send('too early'), { name: 'InvalidStateError' });
      await new Promise((resolve, reject) => {
        ws.onopen = resolve;
        ws.onerror = () => reject(new Error('error event'));
      });
      assert.strictEqual(ws.protocol, 'chat');
      assert.strictEqual(ws.extensions.includes('permessage-deflate'), compress);
      const messages = [];
      ws.addEventListener('message', (e) => messages.push(e.data));
      const utf = 'ünïcødé 😀'.repeat(500);
      ws.send(utf);
      ws.binaryType = 'arraybuffer';
      ws.send(new Uint8Array([1, 2, 3]));
      await new Promise((r) => setTimeout(r, 50));
      ws.binaryType = 'blob';
      ws.send(new Uint8Array([4, 5]).buffer);
      await new Promise((r) => setTimeout(r, 50));
      ws.binaryType = 'nodebuffer';
      ws.send(Buffer.from([6]));
      ws.send('bye');
      const ev = await new Promise((resolve) => (ws.onclose = resolve));
      assert.strictEqual(ev.code, 4002);
      assert.strictEqual(ev.reason, 'server says bye');
      assert.strictEqual(ev.wasClean, true);
      assert.strictEqual(ws.readyState, WebSocket.CLOSED);
      assert.strictEqual(messages[0], utf);
      assert.ok(messages[1] instanceof ArrayBuffer);
      assert.deepStrictEqual([...new Uint8Array(messages[1])], [1, 2, 3]);
      assert.ok(messages[2] instanceof Blob);
      assert.deepStrictEqual([...new Uint8Array(await messages[2].arrayBuffer())], [4, 5]);
      assert.ok(Buffer.isBuffer(messages[3]));
    } finally {
      wss.close();
    }
  });
}

test('WebSocket client closes; close() validation', async () => {
  const wss = new WS.Server({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  const serverClose = new Promise((resolve) =>
    wss.on('connection', (sock) => sock.on('close', (code, reason) => resolve([code, reason.toString()])))
  );
  try {
    const ws = new WebSocket(`ws://127.0.0.1:${wss.address().port}/`);
    await new Promise((r) => (ws.onopen = r));
    assert.throws(() => ws.close(1001), { name: 'InvalidAccessError' });
    assert.throws(() => ws.close(5000), { name: 'InvalidAccessError' });
    assert.throws(() => ws.close(1000, 'x'.repeat(124)), { name: 'SyntaxError' });
    ws.close(3000, 'done');
    assert.strictEqual(ws.readyState, WebSocket.CLOSING);
    const ev = await new Promise((r) => (ws.onclose = r));
    assert.deepStrictEqual(await serverClose, [3000, 'done']);
    assert.strictEqual(ev.wasClean, true);
    assert.strictEqual(ev.code, 3000);
  } finally {
    wss.close();
  }
});

test('WebSocket constructor validation and connection failure', async () => {
  assert.throws(() => new WebSocket('ftp://127.0.0.1/'), { name: 'SyntaxError' });
  assert.throws(() => new WebSocket('ws://127.0.0.1/#frag'), { name: 'SyntaxError' });
  assert.throws(() => new WebSocket('ws://127.0.0.1/', ['a', 'a']), { name: 'SyntaxError' });
  assert.throws(() => new WebSocket('ws://127.0.0.1/', ['bad token']), { name: 'SyntaxError' });
  // Nothing listens on this port (a server we open and close at once).
  const probe = require('net').createServer();
  await new Promise((r) => probe.listen(0, '127.0.0.1', r));
  const port = probe.address().port;
  await new Promise((r) => probe.close(r));
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
  let errored = false;
  ws.onerror = () => (errored = true);
  const ev = await new Promise((r) => (ws.onclose = r));
  assert.strictEqual(ev.code, 1006);
  assert.strictEqual(ev.wasClean, false);
  assert.ok(errored || ev.code === 1006);
});
