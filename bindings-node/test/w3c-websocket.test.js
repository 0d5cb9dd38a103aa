'use strict';
// The W3C client (`wsengine/w3c`) against the WebSockets Standard
// (https://websockets.spec.whatwg.org/), checked point by point in the manner of the
// web-platform-tests' websockets directory (our own tests), with a `ws` server as the peer.
const test = require('node:test');
const assert = require('node:assert');
const { once } = require('events');
const WS = require('ws');
const { WebSocket } = require('wsengine/w3c');

const wait = (target, type) => new Promise((resolve) => target.addEventListener(type, resolve, { once: true }));
const isDOMException = (name) => (e) => e instanceof Error && e.name === name;

async function echoServer(t, options = {}) {
  const protocols = [];
  const wss = new WS.WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  await once(wss, 'listening');
  wss.on('headers', (h, req) => protocols.push(req.headers['sec-websocket-protocol']));
  wss.on('connection', (ws, req) => {
    if (req.url === '/close-4000') return ws.close(4000, 'bye');
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  t.after(() => new Promise((resolve) => wss.close(resolve)));
  return { url: `ws://127.0.0.1:${wss.address().port}`, protocols, wss };
}

test('constructor: WebIDL argument conversion and URL checks', async (t) => {
  const { url } = await echoServer(t);
  assert.throws(() => new WebSocket(), TypeError, 'no argument');
  assert.throws(() => new WebSocket(Symbol('x')), TypeError, 'a Symbol');
  assert.throws(() => new WebSocket(null), isDOMException('SyntaxError'), 'null is the URL "null"');
  assert.throws(() => new WebSocket('ftp://127.0.0.1/'), isDOMException('SyntaxError'));
  assert.throws(() => new WebSocket('not a url'), isDOMException('SyntaxError'));
  assert.throws(() => new WebSocket(`${url}/#`), isDOMException('SyntaxError'), 'empty fragment');
  assert.throws(() => new WebSocket(`${url}/#frag`), isDOMException('SyntaxError'), 'fragment');
  // http(s) schemes become ws(s)
  const ws = new WebSocket(url.replace('ws:', 'http:') + '/path?q=1');
  assert.strictEqual(ws.url, `${url}/path?q=1`);
  assert.strictEqual(ws.readyState, WebSocket.CONNECTING);
  await wait(ws, 'open');
  ws.close();
  await wait(ws, 'close');
});

test('constructor: subprotocols (tokens, exact-match duplicates, null, sequences)', async (t) => {
  const { url, protocols } = await echoServer(t);
  const bad = ['', 'a b', 'a,b', 'é', '\u0000', 'x\u0100'];
  for (const p of bad) assert.throws(() => new WebSocket(url, p), isDOMException('SyntaxError'), JSON.stringify(p));
  assert.throws(() => new WebSocket(url, ['chat', 'chat']), isDOMException('SyntaxError'), 'duplicate');
  assert.throws(() => new WebSocket(url, [Symbol('x')]), TypeError);
  // Exact match: 'chat' and 'Chat' are different subprotocols; null converts to "null"; any
  // iterable is a sequence.
  const cases = [
    [['chat', 'Chat'], 'chat, Chat'],
    [null, 'null'],
    [new Set(['v1', 'v2']), 'v1, v2'],
    [undefined, undefined],
    [[], undefined],
  ];
  for (const [arg, header] of cases) {
    const ws = new WebSocket(url, arg);
    await wait(ws, 'open');
    assert.strictEqual(protocols.at(-1), header);
    assert.strictEqual(ws.protocol, header === undefined ? '' : header.split(', ')[0]);
    ws.close();
    await wait(ws, 'close');
  }
});

test('attributes: constants, binaryType defaults to "blob", invalid values are ignored', async (t) => {
  const { url } = await echoServer(t);
  for (const [name, v] of Object.entries({ CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 })) {
    assert.strictEqual(WebSocket[name], v);
    assert.strictEqual(WebSocket.prototype[name], v);
  }
  const ws = new WebSocket(url);
  assert.strictEqual(ws.binaryType, 'blob');
  assert.strictEqual(ws.bufferedAmount, 0);
  assert.strictEqual(ws.protocol, '');
  assert.strictEqual(ws.extensions, '');
  ws.binaryType = 'arraybuffer';
  ws.binaryType = 'text';
  assert.strictEqual(ws.binaryType, 'arraybuffer');
  await wait(ws, 'open');
  ws.binaryType = 'blob';
  ws.send(new Uint8Array([1, 2, 3]));
  const ev = await wait(ws, 'message');
  assert.ok(ev.data instanceof Blob);
  assert.deepStrictEqual([...new Uint8Array(await ev.data.arrayBuffer())], [1, 2, 3]);
  ws.close();
  await wait(ws, 'close');
});

test('bufferedAmount: application bytes only, 0 before sending, updated in the same task', async (t) => {
  const { url } = await echoServer(t);
  const ws = new WebSocket(url);
  assert.strictEqual(ws.bufferedAmount, 0, 'the handshake is not counted');
  await wait(ws, 'open');
  assert.strictEqual(ws.bufferedAmount, 0);
  ws.send('abc');
  assert.strictEqual(ws.bufferedAmount, 3);
  ws.send('é');
  assert.strictEqual(ws.bufferedAmount, 5, 'UTF-8 bytes');
  ws.send(new ArrayBuffer(7));
  ws.send(new DataView(new ArrayBuffer(4)));
  ws.send(new Blob(['12345678']));
  assert.strictEqual(ws.bufferedAmount, 5 + 7 + 4 + 8, 'no framing overhead');
  let got = 0;
  ws.addEventListener('message', () => got++);
  while (got < 5) await wait(ws, 'message');
  assert.strictEqual(ws.bufferedAmount, 0, 'all transmitted');
  // After close(): data is not sent but still counted.
  ws.close();
  ws.send('12345');
  assert.strictEqual(ws.readyState, WebSocket.CLOSING);
  assert.strictEqual(ws.bufferedAmount, 5);
  await wait(ws, 'close');
  ws.send(new Uint8Array(3));
  assert.strictEqual(ws.bufferedAmount, 8);
});

test('send(): argument conversion and state', async (t) => {
  const { url } = await echoServer(t);
  const ws = new WebSocket(url);
  assert.throws(() => ws.send('x'), isDOMException('InvalidStateError'));
  await wait(ws, 'open');
  assert.throws(() => ws.send(), TypeError);
  const got = [];
  ws.addEventListener('message', (e) => got.push(e.data));
  ws.send(null);
  ws.send(undefined);
  ws.send(42);
  ws.send('\uD800x'); // a lone surrogate becomes U+FFFD (USVString)
  while (got.length < 4) await wait(ws, 'message');
  assert.deepStrictEqual(got, ['null', 'undefined', '42', '\uFFFDx']);
  ws.close();
  await wait(ws, 'close');
});

test('close(): code and reason checks, clamping, and the close event', async (t) => {
  const { url } = await echoServer(t);
  const ws = new WebSocket(url);
  await wait(ws, 'open');
  for (const code of [0, 999, 1001, 1005, 2999, 5000, null, 65536 + 1000]) {
    assert.throws(() => ws.close(code), isDOMException('InvalidAccessError'), String(code));
  }
  assert.throws(() => ws.close(1000, 'x'.repeat(124)), isDOMException('SyntaxError'));
  assert.throws(() => ws.close(1000, 'é'.repeat(62)), isDOMException('SyntaxError'), '124 bytes of UTF-8');
  assert.throws(() => ws.close(1001, 'x'.repeat(124)), isDOMException('InvalidAccessError'), 'the code is checked first');
  assert.strictEqual(ws.readyState, WebSocket.OPEN);
  ws.close(3000.5, 'é'.repeat(61)); // [Clamp]: 3000.5 rounds to even, 3000; 122 bytes
  assert.strictEqual(ws.readyState, WebSocket.CLOSING);
  ws.close(); // no effect while closing
  const ev = await wait(ws, 'close');
  assert.strictEqual(ev.code, 3000);
  assert.strictEqual(ev.reason, 'é'.repeat(61));
  assert.strictEqual(ev.wasClean, true);
  assert.strictEqual(ws.readyState, WebSocket.CLOSED);

  const ws2 = new WebSocket(`${url}/close-4000`);
  const ev2 = await wait(ws2, 'close');
  assert.deepStrictEqual([ev2.code, ev2.reason, ev2.wasClean], [4000, 'bye', true]);
});

test('failure: readyState is CLOSED when error fires, then close 1006', async (t) => {
  const { wss, url } = await echoServer(t, { verifyClient: () => false });
  assert.ok(wss);
  const ws = new WebSocket(url);
  const states = [];
  ws.onerror = () => states.push(['error', ws.readyState]);
  ws.onclose = (e) => states.push(['close', ws.readyState, e.code, e.wasClean]);
  await wait(ws, 'close');
  assert.deepStrictEqual(states, [
    ['error', WebSocket.CLOSED],
    ['close', WebSocket.CLOSED, 1006, false],
  ]);

  // close() while connecting: CLOSING at once, then error (CLOSED) and close 1006.
  const ws2 = new WebSocket(url.replace(/:\d+$/, ':1'));
  const states2 = [];
  ws2.onerror = () => states2.push(['error', ws2.readyState]);
  ws2.onclose = (e) => states2.push(['close', e.code, e.wasClean]);
  ws2.close();
  assert.strictEqual(ws2.readyState, WebSocket.CLOSING);
  await wait(ws2, 'close');
  assert.deepStrictEqual(states2, [
    ['error', WebSocket.CLOSED],
    ['close', 1006, false],
  ]);
});
