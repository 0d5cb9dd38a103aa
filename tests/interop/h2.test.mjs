// RFC 8441 (WebSockets over HTTP/2): wsengine-tokio's axum example (integrations/tokio/examples/
// axum_echo.rs) against Node's own `http2` module sending an extended CONNECT with
// `:protocol: websocket`, and a real Chromium loading the example's page over HTTPS.
// The WebSocket frames on the HTTP/2 stream are written and read here by hand (client frames
// masked, RFC 6455 §5.3); the HTTP/2 layer (SETTINGS, CONNECT, streams) is Node's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http2 from 'node:http2';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { chromium } from 'playwright-core';
import { launchChromium } from '../chromium.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..', '..');
const bin = path.join(root, 'target', 'release', 'examples', 'axum_echo');
const ca = fs.readFileSync(path.join(root, 'integrations', 'tokio', 'examples', 'tls', 'cert.pem'));

let server;
let httpUrl;
let httpsUrl;

before(async () => {
  server = spawn(bin, ['--port', '0', '--tls-port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    readline.createInterface({ input: server.stdout }).once('line', resolve);
    server.once('exit', (code) => reject(new Error(`axum_echo exited with ${code}`)));
  });
  [httpUrl, httpsUrl] = line.trim().split(' ');
});

after(() => server.kill());

/** One client WebSocket frame: FIN, `opcode`, masked payload. */
function frame(opcode, payload) {
  const mask = crypto.randomBytes(4);
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len])
    : len < 65536 ? Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 255])
      : Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(len)); return b; })()]);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= mask[i & 3];
  return Buffer.concat([head, mask, body]);
}

/** Reads unmasked server frames from a stream: resolves to {opcode, payload} one at a time. */
function frameReader(stream) {
  let buf = Buffer.alloc(0);
  const waiting = [];
  const ready = [];
  const pump = () => {
    for (;;) {
      if (buf.length < 2) return;
      assert.equal(buf[1] & 0x80, 0, 'server frames are not masked');
      let len = buf[1] & 0x7f;
      let off = 2;
      if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
      else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); off = 10; }
      if (buf.length < off + len) return;
      const f = { fin: (buf[0] & 0x80) !== 0, opcode: buf[0] & 0x0f, payload: buf.subarray(off, off + len) };
      buf = buf.subarray(off + len);
      if (waiting.length) waiting.shift()(f); else ready.push(f);
    }
  };
  stream.on('data', (d) => { buf = Buffer.concat([buf, d]); pump(); });
  return () => (ready.length ? Promise.resolve(ready.shift()) : new Promise((r) => waiting.push(r)));
}

test('Node http2: extended CONNECT :protocol websocket, messages both ways, clean close', async () => {
  const session = http2.connect(httpsUrl, { ca });
  try {
    // RFC 8441 §3: the server must have sent SETTINGS_ENABLE_CONNECT_PROTOCOL = 1.
    const settings = await new Promise((r) => session.once('remoteSettings', r));
    assert.equal(settings.enableConnectProtocol, true);
    const authority = new URL(httpsUrl).host;
    const stream = session.request({
      ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'https', ':path': '/echo',
      ':authority': authority, 'sec-websocket-version': '13', origin: httpsUrl,
    });
    const headers = await new Promise((resolve, reject) => {
      stream.once('response', resolve);
      stream.once('error', reject);
    });
    assert.equal(headers[':status'], 200);
    const next = frameReader(stream);
    const messages = ['hello over HTTP/2', 'κόσμε €', 'y'.repeat(100000)];
    for (const m of messages) stream.write(frame(1, Buffer.from(m)));
    for (const m of messages) {
      const f = await next();
      assert.equal(f.opcode, 1);
      assert.equal(f.payload.toString(), m);
    }
    stream.write(frame(2, Buffer.from([0, 1, 2, 255])));
    assert.deepEqual([...(await next()).payload], [0, 1, 2, 255]);
    stream.write(frame(9, Buffer.from('ping')));
    const pong = await next();
    assert.equal(pong.opcode, 10);
    assert.equal(pong.payload.toString(), 'ping');
    stream.write(frame(8, Buffer.from([0x03, 0xe8])));
    const close = await next();
    assert.equal(close.opcode, 8);
    assert.equal(close.payload.readUInt16BE(0), 1000);
    stream.end();
    // The server counted it as an HTTP/2 WebSocket.
    const stats = await fetchJson(session, '/stats');
    assert.ok(stats.http2 >= 1);
  } finally {
    session.close();
  }
});

function fetchJson(session, p) {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':path': p });
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => { body += d; });
    req.on('end', () => resolve(JSON.parse(body)));
    req.on('error', reject);
    req.end();
  });
}

test('Node http2: a CONNECT without sec-websocket-version is refused with 426', async () => {
  const session = http2.connect(httpsUrl, { ca });
  try {
    await new Promise((r) => session.once('remoteSettings', r));
    const stream = session.request({
      ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'https', ':path': '/echo',
      ':authority': new URL(httpsUrl).host,
    });
    const headers = await new Promise((r) => stream.once('response', r));
    assert.equal(headers[':status'], 426);
    stream.close();
  } finally {
    session.close();
  }
});

test('the same route over HTTP/1.1 with Node ws', async () => {
  const ws = new WebSocket(`${httpUrl.replace('http', 'ws')}/echo`);
  await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
  const got = new Promise((r) => ws.once('message', (d) => r(d.toString())));
  ws.send('over HTTP/1.1');
  assert.equal(await got, 'over HTTP/1.1');
  ws.close();
});

test('Chromium: the page over HTTPS echoes through its WebSocket; over plain HTTP too', async () => {
  const browser = await launchChromium(chromium, { insecureCerts: true });
  try {
    const before = await (await fetch(`${httpUrl}/stats`)).json();
    const page = await browser.context.newPage();
    const response = await page.goto(`${httpsUrl}/`);
    assert.equal(response.status(), 200);
    await page.waitForFunction(() => document.title !== 'wsengine axum echo', null, { timeout: 15000 });
    assert.equal(await page.title(), 'echo ok');
    const after = await (await fetch(`${httpUrl}/stats`)).json();
    // Chromium opens the page's WebSocket on the page's HTTP/2 connection (RFC 8441), since the
    // server advertised SETTINGS_ENABLE_CONNECT_PROTOCOL on it.
    assert.equal(after.http2 - before.http2, 1, 'the WebSocket went over HTTP/2');
    assert.equal(after.http1 - before.http1, 0);
    const plain = await browser.context.newPage();
    await plain.goto(`${httpUrl}/`);
    await plain.waitForFunction(() => document.title !== 'wsengine axum echo', null, { timeout: 15000 });
    assert.equal(await plain.title(), 'echo ok');
  } finally {
    await browser.close();
  }
});
