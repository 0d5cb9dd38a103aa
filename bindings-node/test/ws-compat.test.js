'use strict';
// The ws-compatible API against the `ws` package itself, both ways, compression off and on:
// ws clients on our WebSocketServer, our WebSocket client on ws's server; then the server
// options and events ws users rely on, and how a handler's exception surfaces.
const test = require('node:test');
const assert = require('node:assert');
const http = require('http');
const net = require('net');
const crypto = require('crypto');
const { once } = require('events');
const { spawnSync } = require('child_process');
const WS = require('ws');
const { WebSocketServer, WebSocket } = require('..');

const listening = (wss) => new Promise((resolve) => wss.once('listening', resolve));
const closeServer = (s) => new Promise((resolve) => s.close(() => resolve()));
const tick = () => new Promise((r) => setImmediate(r));

/** An echo handler, as ws users write it; 'close:<code>' closes with that code. */
function echo(ws) {
  ws.on('message', (data, isBinary) => {
    if (!isBinary && data.toString().startsWith('close:')) ws.close(Number(data.toString().slice(6)), 'as asked');
    else ws.send(data, { binary: isBinary });
  });
}

/** Runs a fixed conversation from `Client` (ws or ours) against an echo server at `url`. */
async function conversation(Client, url, perMessageDeflate) {
  const client = new Client(url, { perMessageDeflate });
  const got = [];
  client.on('message', (data, isBinary) => got.push([isBinary, Buffer.from(data)]));
  await once(client, 'open');
  const big = crypto.randomBytes(1 << 20);
  const utf = 'héllo wörld 😀 '.repeat(3000);
  client.send('hello');
  client.send(utf);
  client.send(big);
  client.send(Buffer.alloc(0));
  client.send('frag-', { fin: false });
  client.send('ment', { fin: true });
  client.send(new Uint8Array([1, 2, 3]).buffer);
  const pong = once(client, 'pong');
  client.ping('are you there');
  assert.strictEqual((await pong)[0].toString(), 'are you there');
  client.send('close:4001');
  const [code, reason] = await once(client, 'close');
  assert.strictEqual(code, 4001);
  assert.ok(Buffer.isBuffer(reason));
  assert.strictEqual(reason.toString(), 'as asked');
  assert.deepStrictEqual(
    got.map(([b, d]) => [b, b ? d.length : d.toString()]),
    [[false, 'hello'], [false, utf], [true, big.length], [true, 0], [false, 'frag-ment'], [true, 3]]
  );
  assert.ok(got[2][1].equals(big));
  return client;
}

for (const compress of [false, true]) {
  const label = compress ? 'compression on' : 'compression off';

  test(`ws client -> wsengine WebSocketServer (${label})`, async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: compress });
    await listening(wss);
    const serverSide = [];
    wss.on('connection', (ws) => {
      serverSide.push(ws);
      echo(ws);
    });
    const client = await conversation(WS, `ws://127.0.0.1:${wss.address().port}/`, compress);
    assert.strictEqual(client.extensions.includes('permessage-deflate'), compress);
    assert.strictEqual(serverSide[0].extensions.includes('permessage-deflate'), compress);
    while (wss.clients.size) await tick();
    await closeServer(wss);
  });

  test(`wsengine WebSocket client -> ws server (${label})`, async () => {
    const wss = new WS.WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: compress });
    await once(wss, 'listening');
    wss.on('connection', echo);
    const client = await conversation(WebSocket, `ws://127.0.0.1:${wss.address().port}/`, compress);
    assert.strictEqual(client.extensions.includes('permessage-deflate'), compress);
    await new Promise((resolve) => wss.close(resolve));
  });
}

test('server options: path, verifyClient (sync and async), handleProtocols, headers event, clientTracking', async () => {
  const server = http.createServer();
  const verified = [];
  const wss = new WebSocketServer({
    server,
    path: '/chat',
    verifyClient: (info, done) => {
      verified.push(info.origin);
      setImmediate(() => (info.req.headers['x-token'] === 'ok' ? done(true) : done(false, 403, 'go away', { 'X-Why': 'token' })));
    },
    handleProtocols: (protocols, req) => {
      assert.ok(protocols instanceof Set);
      assert.strictEqual(req.url, '/chat');
      return protocols.has('v2') ? 'v2' : false;
    },
  });
  wss.on('headers', (headers, req) => {
    assert.strictEqual(headers[0], 'HTTP/1.1 101 Switching Protocols');
    headers.push('Set-Cookie: id=' + req.headers['x-token']);
  });
  const conns = [];
  wss.on('connection', (ws, req) => conns.push([ws, req.url]));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `ws://127.0.0.1:${server.address().port}`;

  // accepted, with subprotocol and the extra header
  const ok = new WS(`${base}/chat`, ['v1', 'v2'], { headers: { 'x-token': 'ok' }, origin: 'http://example.test' });
  const opened = once(ok, 'open');
  const [res] = await once(ok, 'upgrade');
  assert.strictEqual(res.headers['set-cookie'][0], 'id=ok');
  await opened;
  assert.strictEqual(ok.protocol, 'v2');
  assert.strictEqual(conns[0][0].protocol, 'v2');
  assert.strictEqual(wss.clients.size, 1);
  assert.ok(wss.clients.has(conns[0][0]));
  assert.deepStrictEqual(verified, ['http://example.test']);

  // refused by the async verifyClient: status, headers and message as given
  const refused = new WS(`${base}/chat`, { headers: { 'x-token': 'no' } });
  const [, res2] = await once(refused, 'unexpected-response');
  assert.strictEqual(res2.statusCode, 403);
  assert.strictEqual(res2.headers['x-why'], 'token');
  refused.on('error', () => {});
  res2.destroy();

  // wrong path: 400 (shouldHandle)
  const wrong = new WS(`${base}/other`);
  const [, res3] = await once(wrong, 'unexpected-response');
  assert.strictEqual(res3.statusCode, 400);
  wrong.on('error', () => {});
  res3.destroy();

  // sync verifyClient refusing: 401; handleProtocols returning false: no subprotocol
  const wss2 = new WebSocketServer({ port: 0, host: '127.0.0.1', verifyClient: (info) => info.req.url !== '/deny', clientTracking: false });
  await listening(wss2);
  assert.strictEqual(wss2.clients, undefined);
  wss2.on('connection', echo);
  const denied = new WS(`ws://127.0.0.1:${wss2.address().port}/deny`);
  const [, res4] = await once(denied, 'unexpected-response');
  assert.strictEqual(res4.statusCode, 401);
  denied.on('error', () => {});
  res4.destroy();

  ok.close(1000);
  await once(ok, 'close');
  while (wss.clients.size) await tick();
  await closeServer(wss);
  await closeServer(wss2);
  server.close();
});

test('wsClientError and an invalid upgrade request', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await listening(wss);
  const port = wss.address().port;
  const request = (extra) =>
    new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.write(`GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n${extra}\r\n`);
      });
      let text = '';
      s.on('data', (d) => (text += d));
      s.on('close', () => resolve(text));
    });
  // no key: the engine refuses with 400
  const answer = await request('Sec-WebSocket-Version: 13\r\n');
  assert.match(answer, /^HTTP\/1\.1 400 /);
  // with a wsClientError listener the user answers
  wss.on('wsClientError', (err, socket, req) => {
    assert.ok(err instanceof Error);
    assert.strictEqual(req.method, 'GET');
    socket.end('HTTP/1.1 418 I\'m a teapot\r\nConnection: close\r\n\r\n');
  });
  const answer2 = await request('Sec-WebSocket-Version: 13\r\n');
  assert.match(answer2, /^HTTP\/1\.1 418 /);
  await closeServer(wss);
});

test('socket API: readyState, bufferedAmount, binaryType, close validation, maxPayload, terminate, send callbacks', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', maxPayload: 1000 });
  await listening(wss);
  const serverSockets = [];
  wss.on('connection', (ws) => {
    serverSockets.push(ws);
    ws.on('error', () => {});
    echo(ws);
  });
  const url = `ws://127.0.0.1:${wss.address().port}/`;

  const ws = new WebSocket(url);
  assert.strictEqual(ws.readyState, WebSocket.CONNECTING);
  assert.throws(() => ws.send('x'), /CONNECTING/);
  await once(ws, 'open');
  assert.strictEqual(ws.readyState, WebSocket.OPEN);
  assert.strictEqual(ws.bufferedAmount, 0);
  ws.send('a'.repeat(500));
  assert.ok(ws.bufferedAmount >= 500, 'a send is counted at once');

  // binaryType
  const types = [];
  const onBinary = (data, isBinary) => isBinary && types.push(data);
  ws.on('message', onBinary);
  for (const t of ['nodebuffer', 'arraybuffer', 'fragments', 'blob']) {
    ws.binaryType = t;
    ws.send(Buffer.from([7, 8]));
    const n = types.length;
    while (types.length === n) await tick();
  }
  ws.off('message', onBinary);
  assert.ok(Buffer.isBuffer(types[0]));
  assert.ok(types[1] instanceof ArrayBuffer && types[1].byteLength === 2);
  assert.ok(Array.isArray(types[2]) && Buffer.concat(types[2]).equals(Buffer.from([7, 8])));
  assert.ok(types[3] instanceof Blob && types[3].size === 2);
  ws.binaryType = 'bogus';
  assert.strictEqual(ws.binaryType, 'blob');

  // send callback runs once written
  await new Promise((resolve, reject) => ws.send('cb', (err) => (err ? reject(err) : resolve())));

  // close argument checks (the engine's rules, ws's error types)
  assert.throws(() => ws.close(1005), TypeError);
  assert.throws(() => ws.close(999), TypeError);
  assert.throws(() => ws.close(1000, 'x'.repeat(124)), RangeError);

  // maxPayload: a bigger message ends the connection with 1009
  ws.send('y'.repeat(2000));
  const [code] = await once(ws, 'close');
  assert.strictEqual(code, 1009);
  assert.strictEqual(ws.readyState, WebSocket.CLOSED);
  // after close: the callback gets an error, bufferedAmount grows
  const err = await new Promise((resolve) => ws.send('late', resolve));
  assert.match(err.message, /not open/);
  assert.ok(ws.bufferedAmount >= 4);

  // terminate: 1006 on both sides
  const ws2 = new WebSocket(url);
  await once(ws2, 'open');
  while (serverSockets.length < 2) await tick();
  const serverClose = once(serverSockets[1], 'close');
  ws2.terminate();
  assert.strictEqual((await once(ws2, 'close'))[0], 1006);
  assert.strictEqual((await serverClose)[0], 1006);

  // close() while connecting: error, then 1006
  const ws3 = new WebSocket(url);
  const errored = once(ws3, 'error');
  ws3.close();
  assert.match((await errored)[0].message, /before the connection was established/);
  assert.strictEqual((await once(ws3, 'close'))[0], 1006);
  await closeServer(wss);
});

for (const size of [5, 10000]) test(`answers to messages received together with a close frame precede our close frame (${size} B)`, async () => {
  // A raw client writes the handshake, then three masked text frames and a close frame in one
  // write; the server echoes each. The echoes must all arrive before the server's close frame.
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await listening(wss);
  wss.on('connection', echo);
  const port = wss.address().port;
  const texts = ['one', 'two', 'three'].map((t) => t.padEnd(size, '.'));
  const frame = (opcode, payload) => {
    const mask = crypto.randomBytes(4);
    const p = Buffer.from(payload);
    const ext = p.length < 126 ? 0 : 2;
    const out = Buffer.alloc(6 + ext + p.length);
    out[0] = 0x80 | opcode;
    out[1] = 0x80 | (ext ? 126 : p.length);
    if (ext) out.writeUInt16BE(p.length, 2);
    mask.copy(out, 2 + ext);
    for (let i = 0; i < p.length; i++) out[6 + ext + i] = p[i] ^ mask[i & 3];
    return out;
  };
  const received = await new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let upgraded = false;
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        upgraded = true;
        buf = buf.subarray(end + 4);
        s.write(Buffer.concat([...texts.map((t) => frame(1, t)), frame(8, Buffer.from([0x03, 0xe8]))]));
      }
    });
    s.on('close', () => resolve(buf));
    s.write(
      `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`
    );
  });
  const frames = [];
  for (let i = 0; i < received.length; ) {
    let len = received[i + 1] & 0x7f;
    let head = 2;
    if (len === 126) {
      len = received.readUInt16BE(i + 2);
      head = 4;
    }
    frames.push([received[i] & 0x0f, received.subarray(i + head, i + head + len).toString('latin1')]);
    i += head + len;
  }
  assert.deepStrictEqual(frames, [...texts.map((t) => [1, t]), [8, '\x03\xe8']]);
  await closeServer(wss);
});

test("a handler's exception surfaces as with ws (uncaught, the process dies with it)", () => {
  // Both libraries, same script: the exception thrown in a 'message' listener is uncaught.
  for (const lib of ["require('ws').WebSocketServer", "require('wsengine').WebSocketServer"]) {
    const script = `
      const WebSocketServer = ${lib};
      const WS = require('ws');
      const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' }, () => {
        const c = new WS('ws://127.0.0.1:' + wss.address().port);
        c.on('open', () => c.send('boom'));
      });
      wss.on('connection', (ws) => ws.on('message', () => { throw new Error('handler failed: ' + 'boom'); }));
      setTimeout(() => process.exit(0), 5000).unref();
    `;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: __dirname, encoding: 'utf8', timeout: 20000 });
    assert.notStrictEqual(r.status, 0, lib);
    assert.match(r.stderr, /Error: handler failed: boom/, lib);
  }
  // And with an 'uncaughtException' handler the server keeps serving the other messages.
  const script = `
    const { WebSocketServer } = require('wsengine');
    const WS = require('ws');
    const errors = [];
    process.on('uncaughtException', (e) => errors.push(e.message));
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' }, () => {
      const c = new WS('ws://127.0.0.1:' + wss.address().port);
      c.on('open', () => { c.send('throw'); c.send('echo me'); });
      c.on('message', (d) => { console.log(errors.join() + '|' + d); process.exit(0); });
    });
    wss.on('connection', (ws) => ws.on('message', (d) => { if (d.toString() === 'throw') throw new Error('x'); ws.send(d); }));
  `;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: __dirname, encoding: 'utf8', timeout: 20000 });
  assert.strictEqual(r.stdout.trim(), 'x|echo me', r.stderr);
});

test('text messages kept by the application stay intact (ASCII text shares slabs)', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await listening(wss);
  const kept = [];
  const all = new Promise((resolve) => {
    wss.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => {
        assert.strictEqual(isBinary, false);
        assert.ok(Buffer.isBuffer(data));
        kept.push(data);
        if (kept.length === 300) resolve();
      });
    });
  });
  const client = new WS(`ws://127.0.0.1:${wss.address().port}/`);
  await once(client, 'open');
  const sent = [];
  for (let i = 0; i < 300; i++) {
    const s = String(i).padStart(4, '0').repeat(100 + (i % 7) * 1000); // 400 B .. 24 KiB, ASCII
    sent.push(i % 50 === 0 ? s + 'é' : s);
    client.send(sent[i]);
  }
  await all;
  assert.deepStrictEqual(kept.map((b) => b.toString()), sent);
  client.close();
  await once(client, 'close');
  await closeServer(wss);
});

test('client argument errors are the ones ws throws (URL, fragment, subprotocols, ping size)', async () => {
  const cases = [
    ['not a url', undefined],
    ['ftp://127.0.0.1/', undefined],
    ['ws://127.0.0.1:1/#frag', undefined],
    ['ws://127.0.0.1:1/', ['a b']],
    ['ws://127.0.0.1:1/', ['x', 'x']],
    ['ws://127.0.0.1:1/', ['']],
  ];
  for (const [url, protocols] of cases) {
    let theirs;
    let ours;
    try {
      new WS(url, protocols);
    } catch (e) {
      theirs = e.constructor.name;
    }
    try {
      new WebSocket(url, protocols);
    } catch (e) {
      ours = e.constructor.name;
    }
    assert.strictEqual(theirs, 'SyntaxError', url);
    assert.strictEqual(ours, theirs, `${url} ${protocols}`);
  }
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await listening(wss);
  const ws = new WebSocket(`ws://127.0.0.1:${wss.address().port}/`, ['x', 'X']); // exact match: distinct
  await once(ws, 'open');
  assert.strictEqual(ws.protocol, 'x');
  assert.throws(() => ws.ping(Buffer.alloc(126)), RangeError);
  ws.ping(Buffer.alloc(125));
  ws.close();
  await once(ws, 'close');
  await closeServer(wss);
});
