'use strict';
// `Connection.receiveInPlace` (what the ws layer and attach() call with a socket's read
// Buffers): whole messages are unmasked inside the chunk and handed out as Buffer views of it,
// as ws does. It must deliver exactly what `receive` delivers for any frames cut anywhere, hand
// out views of the chunk (no copy) for whole messages, and leave the chunk's other bytes alone.
const test = require('node:test');
const assert = require('node:assert');
const crypto = require('crypto');
const { Connection } = require('..');

const { pair } = require('./pair.js');

const plain = (events) => events.map((e) => ({ ...e, data: typeof e.data === 'string' ? e.data : e.data && Buffer.from(e.data) }));

test('receiveInPlace delivers what receive delivers, for any frames cut anywhere', () => {
  let seed = 7;
  const rand = (n) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const sizes = [0, 1, 5, 125, 126, 4000, 9000, 16384, 70000];
  for (const textAsBytes of [false, true]) {
    const a = pair(); // receive, on a copy of each chunk
    const b = pair(); // receiveInPlace
    a.s.textAsBytes = textAsBytes;
    b.s.textAsBytes = textAsBytes;
    let inChunk = 0;
    for (let round = 0; round < 200; round++) {
      for (let k = 1 + rand(6); k > 0; k--) {
        const size = sizes[rand(sizes.length)];
        switch (rand(4)) {
          case 0:
            a.c.sendText('é'.repeat(size >> 1));
            break;
          case 1:
            a.c.ping(crypto.randomBytes(Math.min(size, 125)));
            break;
          default:
            a.c.sendBinary(crypto.randomBytes(size));
        }
      }
      const out = a.c.takeOutput();
      for (let off = 0; off < out.length; ) {
        const step = Math.min(out.length - off, 1 + rand(40000));
        const piece = out.subarray(off, off + step);
        const chunk = Buffer.from(piece);
        const want = a.s.receive(Buffer.from(piece), round);
        const got = b.s.receiveInPlace(chunk, round);
        assert.deepStrictEqual(plain(got), plain(want));
        for (const e of got) {
          if (Buffer.isBuffer(e.data) && e.data.length > 0 && e.data.buffer === chunk.buffer) {
            assert.ok(e.data.byteOffset >= chunk.byteOffset && e.data.byteOffset + e.data.length <= chunk.byteOffset + chunk.length);
            inChunk++;
          }
        }
        off += step;
      }
      assert.deepStrictEqual(b.s.takeOutput(), a.s.takeOutput()); // the pongs
    }
    assert.ok(inChunk > 100, `only ${inChunk} messages were handed out as views of their chunk`);
  }
});

test('a whole message is a view of the chunk; the chunk outside it is left as it came', () => {
  const { c, s } = pair();
  const big = crypto.randomBytes(20000);
  c.sendBinary(big);
  c.sendBinary(Buffer.from('tail'));
  const chunk = c.takeOutput();
  const cut = chunk.length - 3; // the second frame stays incomplete
  const head = Buffer.from(chunk.subarray(0, 8)); // FIN+opcode, 126, length, mask key
  const rest = Buffer.from(chunk.subarray(20008, cut));
  const first = chunk.subarray(0, cut);
  const events = s.receiveInPlace(first, 0);
  assert.strictEqual(events.length, 1);
  assert.strictEqual(events[0].type, 'binary');
  assert.ok(events[0].data.equals(big));
  assert.strictEqual(events[0].data.buffer, chunk.buffer);
  assert.strictEqual(events[0].data.byteOffset, chunk.byteOffset + 8);
  assert.ok(first.subarray(0, 8).equals(head));
  assert.ok(first.subarray(20008).equals(rest)); // the split frame's bytes: untouched
  const more = s.receiveInPlace(chunk.subarray(cut), 0);
  assert.deepStrictEqual(more.map((e) => [e.type, Buffer.from(e.data).toString()]), [['binary', 'tail']]);
});

test('text: a string, or a view of the chunk with textAsBytes; invalid UTF-8 fails with 1007', () => {
  const { c, s } = pair();
  c.sendText('héllo');
  assert.deepStrictEqual(s.receiveInPlace(c.takeOutput(), 0).map((e) => [e.type, e.data]), [['text', 'héllo']]);
  s.textAsBytes = true;
  c.sendText('wörld');
  const chunk = c.takeOutput();
  const [e] = s.receiveInPlace(chunk, 0);
  assert.strictEqual(e.type, 'text');
  assert.strictEqual(e.data.toString(), 'wörld');
  assert.strictEqual(e.data.buffer, chunk.buffer);
  // A text frame that is not UTF-8 (masked with a zero key), made by hand: our client refuses it.
  const bad = Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0x61, 0xff]);
  const failed = s.receiveInPlace(bad, 0).find((ev) => ev.type === 'failed');
  assert.ok(failed, 'the connection failed');
  assert.strictEqual(s.takeOutput().readUInt16BE(2), 1007);
});

test('a Uint8Array chunk gives Buffers over its memory', () => {
  const { c, s } = pair();
  c.sendBinary(Buffer.from([1, 2, 3]));
  const chunk = new Uint8Array(c.takeOutput());
  const [e] = s.receiveInPlace(chunk, 0);
  assert.ok(Buffer.isBuffer(e.data));
  assert.strictEqual(e.data.buffer, chunk.buffer);
  assert.deepStrictEqual([...e.data], [1, 2, 3]);
});

// The wiring: the ws-style server and attach() hand out messages as views of the socket's read
// Buffer, whose bytes just before the message are its frame header (a copy would sit in a slab
// or a Buffer of its own, after other bytes or at offset 0).
const WS = require('ws');
const net = require('net');
const { WebSocketServer, attach } = require('..');

/** Whether `data` is a view of a read holding the frame that carried it (20000 B, binary). */
function viewOfItsFrame(data) {
  if (data.byteOffset < 8) return false;
  const head = Buffer.from(data.buffer, data.byteOffset - 8, 4);
  return head[0] === 0x82 && head[1] === 0xfe && head.readUInt16BE(2) === data.length;
}

/** Five echoes of 20000 random bytes, one at a time; each must come back intact. */
async function echoFive(url) {
  const client = new WS(url);
  await new Promise((resolve, reject) => {
    client.once('open', resolve);
    client.once('error', reject);
  });
  for (let i = 0; i < 5; i++) {
    const payload = crypto.randomBytes(20000);
    const echoed = new Promise((resolve) => client.once('message', (d) => resolve(d)));
    client.send(payload);
    assert.ok(Buffer.from(await echoed).equals(payload));
  }
  client.close();
}

test('WebSocketServer hands out a message that came whole in one read as a view of that read', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  let views = 0;
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => {
    if (viewOfItsFrame(data)) views++;
    ws.send(data, { binary: isBinary });
  }));
  await echoFive(`ws://127.0.0.1:${wss.address().port}/`);
  // (A read may, rarely, cut a message: then that one is assembled elsewhere.)
  assert.ok(views >= 1, 'no message was a view of its read');
  await new Promise((r) => wss.close(r));
});

test('attach() hands out a message that came whole in one read as a view of that read', async () => {
  let views = 0;
  const server = net.createServer((socket) => {
    const conn = Connection.server({ deflate: false });
    const driver = attach(conn, socket, (ev) => {
      if (ev.type === 'request') {
        conn.accept();
        driver.dispatch(conn.pollEvents());
      } else if (ev.type === 'binary') {
        if (viewOfItsFrame(ev.data)) views++;
        conn.sendBinary(ev.data);
        driver.flush();
      }
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  await echoFive(`ws://127.0.0.1:${server.address().port}/`);
  assert.ok(views >= 1, 'no message was a view of its read');
  await new Promise((r) => server.close(r));
});
