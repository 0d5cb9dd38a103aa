// The usage examples of the `ws` package's README (8.x), run with `wsengine` in place of `ws`:
// the import line is the only change, besides 127.0.0.1 with ephemeral ports instead of the
// README's host names and port 8080, and `console.log` replaced by a collector the test reads.
import test from 'node:test';
import assert from 'node:assert';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';

import WebSocket, { WebSocketServer, createWebSocketStream } from 'wsengine';

const listening = (wss) => new Promise((resolve) => wss.once('listening', resolve));
const closeAll = async (...things) => {
  for (const t of things) await new Promise((resolve) => t.close(() => resolve()));
};

test('README: simple server and "sending and receiving text data" client', async () => {
  const log = [];
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  const serverGot = new Promise((resolve) => {
    wss.on('connection', function connection(ws) {
      ws.on('error', console.error);
      ws.on('message', function message(data) {
        log.push(`server received: ${data}`);
        resolve();
      });
      ws.send('something');
    });
  });
  await listening(wss);

  const ws = new WebSocket(`ws://127.0.0.1:${wss.address().port}/path`);
  ws.on('error', console.error);
  ws.on('open', function open() {
    ws.send('something');
  });
  const clientGot = new Promise((resolve) => {
    ws.on('message', function message(data) {
      log.push(`client received: ${data}`);
      resolve();
    });
  });
  await Promise.all([serverGot, clientGot]);
  assert.deepStrictEqual(log.sort(), ['client received: something', 'server received: something']);
  ws.close();
  await once(ws, 'close');
  await closeAll(wss);
});

test('README: sending binary data (a Float32Array)', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await listening(wss);
  const received = new Promise((resolve) => {
    wss.on('connection', (ws) => ws.on('message', (data, isBinary) => resolve([data, isBinary])));
  });
  const ws = new WebSocket(`ws://127.0.0.1:${wss.address().port}/path`);
  ws.on('error', console.error);
  ws.on('open', function open() {
    const array = new Float32Array(5);
    for (var i = 0; i < array.length; ++i) {
      array[i] = i / 2;
    }
    ws.send(array);
  });
  const [data, isBinary] = await received;
  assert.strictEqual(isBinary, true);
  assert.deepStrictEqual(Array.from(new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length))), [0, 0.5, 1, 1.5, 2]);
  ws.close();
  await once(ws, 'close');
  await closeAll(wss);
});

test('README: external HTTPS server (TLS, client with a ca option)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wsengine-tls-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ], { stdio: 'ignore' });
    const server = createHttpsServer({
      cert: readFileSync(join(dir, 'cert.pem')),
      key: readFileSync(join(dir, 'key.pem')),
    });
    const wss = new WebSocketServer({ server });
    const got = new Promise((resolve) => {
      wss.on('connection', function connection(ws) {
        ws.on('error', console.error);
        ws.on('message', function message(data) {
          resolve(`${data}`);
        });
        ws.send('something');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');

    const ws = new WebSocket(`wss://localhost:${server.address().port}/`, { ca: readFileSync(join(dir, 'cert.pem')), host: '127.0.0.1' });
    ws.on('error', console.error);
    const echoed = new Promise((resolve) => ws.on('message', (d) => resolve(`${d}`)));
    ws.on('open', () => ws.send('over tls'));
    assert.strictEqual(await got, 'over tls');
    assert.strictEqual(await echoed, 'something');
    ws.close();
    await once(ws, 'close');
    await closeAll(wss, server);

    // An untrusted certificate is an 'error' then a 1006 'close', as with ws.
    const server2 = createHttpsServer({ cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) });
    const wss2 = new WebSocketServer({ server: server2 });
    server2.listen(0, '127.0.0.1');
    await once(server2, 'listening');
    const bad = new WebSocket(`wss://127.0.0.1:${server2.address().port}/`);
    const [err] = await once(bad, 'error');
    assert.match(err.code, /SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO/);
    const [code] = await once(bad, 'close');
    assert.strictEqual(code, 1006);
    await closeAll(wss2, server2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('README: multiple servers sharing a single HTTP server (noServer + handleUpgrade)', async () => {
  const server = createServer();
  const wss1 = new WebSocketServer({ noServer: true });
  const wss2 = new WebSocketServer({ noServer: true });
  const seen = [];

  wss1.on('connection', function connection(ws) {
    ws.on('error', console.error);
    seen.push('wss1');
    ws.send('from wss1');
  });

  wss2.on('connection', function connection(ws) {
    ws.on('error', console.error);
    seen.push('wss2');
    ws.send('from wss2');
  });

  server.on('upgrade', function upgrade(request, socket, head) {
    const { pathname } = new URL(request.url, 'wss://base.url');

    if (pathname === '/foo') {
      wss1.handleUpgrade(request, socket, head, function done(ws) {
        wss1.emit('connection', ws, request);
      });
    } else if (pathname === '/bar') {
      wss2.handleUpgrade(request, socket, head, function done(ws) {
        wss2.emit('connection', ws, request);
      });
    } else {
      socket.destroy();
    }
  });

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `ws://127.0.0.1:${server.address().port}`;
  for (const [path, expected] of [['/foo', 'from wss1'], ['/bar', 'from wss2']]) {
    const ws = new WebSocket(base + path);
    const [data] = await once(ws, 'message');
    assert.strictEqual(data.toString(), expected);
    ws.close();
    await once(ws, 'close');
  }
  const other = new WebSocket(base + '/other');
  other.on('error', () => {});
  const [code] = await once(other, 'close');
  assert.strictEqual(code, 1006);
  assert.deepStrictEqual(seen, ['wss1', 'wss2']);
  await closeAll(wss1, wss2, server);
});

test('README: client authentication (401, then an authenticated connection)', async () => {
  function onSocketError(err) {
    console.error(err);
  }
  // The README leaves authenticate() to the reader: here a token in the query.
  function authenticate(request, next) {
    const token = new URL(request.url, 'ws://x').searchParams.get('token');
    setImmediate(() => next(null, token === 'secret' ? { name: 'alice' } : null));
  }

  const server = createServer();
  const wss = new WebSocketServer({ noServer: true });
  const messages = [];

  wss.on('connection', function connection(ws, request, client) {
    ws.on('error', console.error);

    ws.on('message', function message(data) {
      messages.push(`Received message ${data} from user ${client.name}`);
      ws.send('ok');
    });
  });

  server.on('upgrade', function upgrade(request, socket, head) {
    socket.on('error', onSocketError);

    // This function is not defined on purpose. Implement it with your own logic.
    authenticate(request, function next(err, client) {
      if (err || !client) {
        socket.write('HTTP/1.1 401 Unauthorized\r\n\r\n');
        socket.destroy();
        return;
      }

      socket.removeListener('error', onSocketError);

      wss.handleUpgrade(request, socket, head, function done(ws) {
        wss.emit('connection', ws, request, client);
      });
    });
  });

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `ws://127.0.0.1:${server.address().port}/`;

  const denied = new WebSocket(base + '?token=wrong');
  const [, res] = await once(denied, 'unexpected-response');
  assert.strictEqual(res.statusCode, 401);
  const [code] = await once(denied, 'close');
  assert.strictEqual(code, 1006);

  const ws = new WebSocket(base + '?token=secret');
  await once(ws, 'open');
  ws.send('hello');
  await once(ws, 'message');
  assert.deepStrictEqual(messages, ['Received message hello from user alice']);
  ws.close();
  await once(ws, 'close');
  await closeAll(wss, server);
});

test('README: server broadcast (to all clients, and to all others)', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await listening(wss);

  wss.on('connection', function connection(ws) {
    ws.on('error', console.error);

    ws.on('message', function message(data, isBinary) {
      if (data.toString().startsWith('all:')) {
        wss.clients.forEach(function each(client) {
          if (client.readyState === WebSocket.OPEN) {
            client.send(data, { binary: isBinary });
          }
        });
      } else {
        wss.clients.forEach(function each(client) {
          if (client !== ws && client.readyState === WebSocket.OPEN) {
            client.send(data, { binary: isBinary });
          }
        });
      }
    });
  });

  const url = `ws://127.0.0.1:${wss.address().port}/`;
  const clients = [new WebSocket(url), new WebSocket(url), new WebSocket(url)];
  await Promise.all(clients.map((c) => once(c, 'open')));
  while (wss.clients.size < 3) await new Promise((r) => setImmediate(r));
  const inboxes = clients.map((c) => {
    const box = [];
    c.on('message', (d, isBinary) => box.push([d.toString(), isBinary]));
    return box;
  });
  clients[0].send('all:hi');
  clients[1].send('others:yo');
  while (inboxes.reduce((n, b) => n + b.length, 0) < 5) await new Promise((r) => setTimeout(r, 5));
  assert.deepStrictEqual(inboxes[0], [['all:hi', false], ['others:yo', false]]);
  assert.deepStrictEqual(inboxes[1], [['all:hi', false]]);
  assert.deepStrictEqual(inboxes[2], [['all:hi', false], ['others:yo', false]]);
  for (const c of clients) c.close();
  await Promise.all(clients.map((c) => once(c, 'close')));
  await closeAll(wss);
});

test('README: round-trip time (numbers are sent as text)', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await listening(wss);
  wss.on('connection', (ws) => ws.on('message', (data) => ws.send(data)));
  const ws = new WebSocket(`ws://127.0.0.1:${wss.address().port}/`);
  const rtts = [];
  ws.on('error', console.error);

  ws.on('open', function open() {
    ws.send(Date.now());
  });

  ws.on('close', function close() {
    rtts.push('disconnected');
  });

  ws.on('message', function message(data) {
    rtts.push(Date.now() - data);
    if (rtts.length < 3) setTimeout(function timeout() {
      ws.send(Date.now());
    }, 10);
    else ws.close();
  });
  await once(ws, 'close');
  assert.strictEqual(rtts.length, 4);
  assert.ok(rtts.slice(0, 3).every((x) => Number.isFinite(x) && x >= 0));
  await closeAll(wss);
});

test('README: the Node.js streams API (createWebSocketStream)', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await listening(wss);
  wss.on('connection', (ws) => {
    const duplex = createWebSocketStream(ws);
    duplex.pipe(duplex); // an echo server as a stream
  });
  const ws = new WebSocket(`ws://127.0.0.1:${wss.address().port}/`);
  const duplex = createWebSocketStream(ws, { encoding: 'utf8' });
  duplex.on('error', console.error);
  let text = '';
  duplex.on('data', (chunk) => {
    text += chunk;
    if (text.length >= 11) duplex.end();
  });
  duplex.write('hello ');
  duplex.write('world');
  await once(duplex, 'close');
  assert.strictEqual(text, 'hello world');
  await closeAll(wss);
});

test('README: how to get the IP address of the client', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await listening(wss);
  const ipSeen = new Promise((resolve) => {
    wss.on('connection', function connection(ws, req) {
      const ip = req.socket.remoteAddress;
      ws.on('error', console.error);
      resolve(ip);
    });
  });
  const ws = new WebSocket(`ws://127.0.0.1:${wss.address().port}/`);
  assert.match(await ipSeen, /127\.0\.0\.1/);
  if (ws.readyState === WebSocket.CONNECTING) await once(ws, 'open');
  ws.close();
  await once(ws, 'close');
  await closeAll(wss);
});

test('README: how to detect and close broken connections (heartbeat)', async () => {
  function heartbeat() {
    this.isAlive = true;
  }

  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await listening(wss);
  const terminated = [];

  wss.on('connection', function connection(ws) {
    ws.isAlive = true;
    ws.on('error', console.error);
    ws.on('pong', heartbeat);
    ws.on('close', (code) => terminated.push(code));
  });

  const interval = setInterval(function ping() {
    wss.clients.forEach(function each(ws) {
      if (ws.isAlive === false) return ws.terminate();

      ws.isAlive = false;
      ws.ping();
    });
  }, 30);

  wss.on('close', function close() {
    clearInterval(interval);
  });

  // A live client answers pings (automatically); a client that stops reading does not.
  const live = new WebSocket(`ws://127.0.0.1:${wss.address().port}/`);
  const pings = [];
  live.on('ping', (d) => pings.push(d.length));
  await once(live, 'open');
  const dead = new WebSocket(`ws://127.0.0.1:${wss.address().port}/`);
  await once(dead, 'open');
  dead.pause();
  while (terminated.length === 0) await new Promise((r) => setTimeout(r, 10));
  assert.deepStrictEqual(terminated, [1006]);
  dead.resume();
  const [code] = await once(dead, 'close');
  assert.strictEqual(code, 1006);
  assert.ok(pings.length >= 1);
  assert.strictEqual(live.readyState, WebSocket.OPEN);
  live.close();
  await once(live, 'close');
  await closeAll(wss);
});

test("the default export carries the other names, as ws's does (WebSocket.Server, ...)", () => {
  assert.strictEqual(WebSocket.Server, WebSocketServer);
  assert.strictEqual(WebSocket.WebSocketServer, WebSocketServer);
  assert.strictEqual(WebSocket.WebSocket, WebSocket);
  assert.strictEqual(WebSocket.createWebSocketStream, createWebSocketStream);
  assert.strictEqual(WebSocket.OPEN, 1);
});
