// The demo server against Node's `ws` (an independent implementation) and a real headless
// Chromium whose own WebSocket runs the demo page's chat.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { chromium } from 'playwright-core';
import { launchChromium } from '../chromium.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
// The demo: wsengine-tokio's `demo` example (integrations/tokio/examples/demo).
const serverBin = path.join(here, '..', '..', 'target', 'release', 'examples', 'demo');

let server;
let port;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
    s.on('error', reject);
  });
}

async function waitForPort(p) {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((resolve) => {
      const c = net.connect(p, '127.0.0.1', () => { c.destroy(); resolve(true); });
      c.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('demo server did not start');
}

before(async () => {
  port = await freePort();
  server = spawn(serverBin, ['--port', String(port)], { stdio: 'ignore' });
  await waitForPort(port);
});

after(() => server.kill());

function open(url, options) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options?.protocols, options);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (req, res) => reject(new Error(`status ${res.statusCode}`)));
  });
}

function nextMessage(ws) {
  return new Promise((resolve) => ws.once('message', (data, isBinary) => resolve({ data, isBinary })));
}

for (const perMessageDeflate of [false, true]) {
  test(`echo with ws (perMessageDeflate=${perMessageDeflate})`, async () => {
    const ws = await open(`ws://127.0.0.1:${port}/echo`, { perMessageDeflate });
    assert.equal(ws.extensions.includes('permessage-deflate'), perMessageDeflate);
    for (const text of ['hello', 'κόσμε €', '', 'y'.repeat(100000)]) {
      ws.send(text);
      const { data, isBinary } = await nextMessage(ws);
      assert.equal(isBinary, false);
      assert.equal(data.toString(), text);
    }
    const bin = Buffer.alloc(1 << 20, 7);
    ws.send(bin);
    const { data, isBinary } = await nextMessage(ws);
    assert.equal(isBinary, true);
    assert.ok(Buffer.compare(data, bin) === 0);
    // A fragmented message sent with ws's `fin` option.
    ws.send('frag', { fin: false });
    ws.send('mented', { fin: true });
    assert.equal((await nextMessage(ws)).data.toString(), 'fragmented');
    const closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve([code, reason.toString()])));
    ws.close(4000, 'bye');
    assert.deepEqual(await closed, [4000, 'bye']);
  });
}

test('ping from ws gets a pong', async () => {
  const ws = await open(`ws://127.0.0.1:${port}/echo`);
  const pong = new Promise((resolve) => ws.once('pong', (d) => resolve(d.toString())));
  ws.ping('are you there');
  assert.equal(await pong, 'are you there');
  ws.terminate();
});

test('chat relays between ws clients', async () => {
  const a = await open(`ws://127.0.0.1:${port}/chat`, { protocols: ['chat'] });
  const b = await open(`ws://127.0.0.1:${port}/chat`, { protocols: ['chat'] });
  assert.equal(a.protocol, 'chat');
  await new Promise((r) => setTimeout(r, 200));
  const got = nextMessage(b);
  a.send('from a');
  assert.equal((await got).data.toString(), 'from a');
  a.close();
  b.close();
});

test('Chromium chats through the demo page', async () => {
  const browser = await launchChromium(chromium);
  try {
    const page = await browser.context.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('open'));
    const status = await page.textContent('#status');
    // Chromium offers permessage-deflate; the demo server accepts it.
    assert.match(status, /protocol chat, extensions permessage-deflate/);
    // A ws client in the same room sees what the browser sends, and vice versa.
    const peer = await open(`ws://127.0.0.1:${port}/chat`, { protocols: ['chat'] });
    await new Promise((r) => setTimeout(r, 200));
    const got = nextMessage(peer);
    await page.fill('#text', 'hello from chromium κόσμε');
    await page.click('button');
    assert.equal((await got).data.toString(), 'hello from chromium κόσμε');
    peer.send('hello from node');
    await page.waitForFunction(() => document.getElementById('log').textContent.includes('hello from node'));
    // A 64 KiB message from the browser's own WebSocket, echoed back.
    const echoed = await page.evaluate(async (p) => {
      const ws = new WebSocket(`ws://127.0.0.1:${p}/echo`);
      await new Promise((r) => { ws.onopen = r; });
      const big = 'z'.repeat(65536) + '€';
      const back = await new Promise((r) => { ws.onmessage = (e) => r(e.data); ws.send(big); });
      const closed = await new Promise((r) => { ws.onclose = (e) => r([e.code, e.wasClean]); ws.close(1000); });
      return [back === big, closed];
    }, port);
    assert.deepEqual(echoed, [true, [1000, true]]);
    peer.close();
  } finally {
    await browser.close();
  }
});
