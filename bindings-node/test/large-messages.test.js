'use strict';
// Large binary messages are unmasked straight into the Buffer JavaScript gets (the core's
// message_buffer): byte-exact whatever the reads, and a failure mid-message loses nothing else.
const test = require('node:test');
const assert = require('node:assert');
const crypto = require('crypto');
const { Sender } = require('ws');
const { Connection } = require('..');

const frame = (payload, opcode = 2, fin = true) =>
  Buffer.concat(Sender.frame(payload, { fin, opcode, mask: true, maskBuffer: crypto.randomBytes(4), readOnly: true }));

function server() {
  const conn = Connection.open('server', { maxMessageSize: 8 << 20 });
  conn.pollEvents();
  return conn;
}

test('large binary messages arrive byte-exact in any read size', () => {
  const payloads = [64 * 1024, 300001, 1 << 20].map((n) => crypto.randomBytes(n));
  const stream = Buffer.concat([...payloads.map((p) => frame(p)), frame(Buffer.from('after'), 1)]);
  for (const read of [1000, 4096, 65536, 1 << 20, stream.length]) {
    const conn = server();
    const got = [];
    for (let i = 0; i < stream.length; i += read) got.push(...conn.receive(stream.subarray(i, i + read)));
    assert.deepStrictEqual(got.map((e) => e.type), ['binary', 'binary', 'binary', 'text'], `reads of ${read}`);
    payloads.forEach((p, k) => assert.ok(got[k].data.equals(p), `message ${k}, reads of ${read}`));
    assert.ok(Buffer.isBuffer(got[0].data));
    assert.strictEqual(got[3].data, 'after');
  }
});

test('the transport ends in the middle of a large message: the messages before it, then 1006', () => {
  const first = crypto.randomBytes(200000);
  const big = frame(crypto.randomBytes(500000));
  // The second message is cut: the transport ends while its payload is arriving.
  const stream = Buffer.concat([frame(first), big.subarray(0, 100000)]);
  const conn = server();
  const got = [];
  for (let i = 0; i < stream.length; i += 65536) got.push(...conn.receive(stream.subarray(i, i + 65536)));
  assert.deepStrictEqual(got.map((e) => e.type), ['binary']);
  assert.ok(got[0].data.equals(first));
  const end = conn.receiveEof();
  assert.deepStrictEqual(end.map((e) => e.type), ['closed']);
  assert.strictEqual(end[0].code, 1006);
  // The peer is gone (no close frame): nothing can be sent any more.
  assert.strictEqual(conn.canSend, false);
});

test('a fragmented large message and the message size limit still go through the engine', () => {
  const part = crypto.randomBytes(100000);
  const stream = Buffer.concat([frame(part, 2, false), frame(part, 0, true)]);
  const conn = server();
  const got = conn.receive(stream);
  assert.strictEqual(got.length, 1);
  assert.ok(got[0].data.equals(Buffer.concat([part, part])));
  const small = Connection.open('server', { maxMessageSize: 100000 });
  small.pollEvents();
  const over = small.receive(frame(crypto.randomBytes(100001)));
  assert.deepStrictEqual(over.map((e) => e.type), ['failed', 'closed']);
  assert.strictEqual(over[0].error.closeCode, 1009);
});

test('textAsBytes: text arrives as validated UTF-8 Buffers, byte-exact in any read size', () => {
  // Sizes around the own-Buffer threshold (8 KiB), multi-byte characters split by every read.
  const texts = [5, 8191, 8192, 20000, 300001].map((n) => 'añ€𝄞'.repeat(Math.ceil(n / 10)).slice(0, n));
  const stream = Buffer.concat([...texts.map((t) => frame(Buffer.from(t), 1)), frame(Buffer.from([1, 2]), 2)]);
  for (const read of [7, 1000, 65536, stream.length]) {
    const conn = server();
    conn.textAsBytes = true;
    assert.strictEqual(conn.textAsBytes, true);
    const got = [];
    for (let i = 0; i < stream.length; i += read) got.push(...conn.receive(stream.subarray(i, i + read)));
    assert.deepStrictEqual(got.map((e) => e.type), ['text', 'text', 'text', 'text', 'text', 'binary'], `reads of ${read}`);
    texts.forEach((t, k) => {
      assert.ok(Buffer.isBuffer(got[k].data), `message ${k} is a Buffer`);
      assert.strictEqual(got[k].data.toString('utf8'), t, `message ${k}, reads of ${read}`);
    });
  }
  // Off (the default): strings.
  const conn = server();
  assert.strictEqual(conn.textAsBytes, false);
  const [ev] = conn.receive(frame(Buffer.from(texts[3]), 1));
  assert.strictEqual(ev.data, texts[3]);
});

test('textAsBytes: invalid UTF-8 in a large text message fails with 1007, at once', () => {
  for (const read of [1000, 1 << 20]) {
    const bad = Buffer.from('x'.repeat(100000));
    bad[5000] = 0xff;
    const stream = Buffer.concat([frame(Buffer.from('before'), 1), frame(bad, 1)]);
    const conn = server();
    conn.textAsBytes = true;
    const got = [];
    // Fail fast: the error is found in the first read that holds the bad byte.
    for (let i = 0; i < 6000 + 14; i += read) got.push(...conn.receive(stream.subarray(i, i + read)));
    assert.deepStrictEqual(got.map((e) => e.type).slice(0, 2), ['text', 'failed'], `reads of ${read}`);
    assert.strictEqual(got[0].data.toString(), 'before');
    assert.strictEqual(got[1].error.closeCode, 1007);
  }
});

test('sent strings of every size reach the wire whole: the scratch buffer grows, is reused and shrinks', async () => {
  const { Receiver } = require('ws');
  const conn = server();
  // Lengths around the first read's 256 bytes, repeats of one length (read in one call once
  // the buffer has grown), a string past the 1 MiB the buffer keeps, then small ones again;
  // multi-byte characters straddle each boundary.
  const texts = [];
  for (const n of [1, 250, 251, 252, 253, 254, 255, 256, 300, 300, 300, 70000, 70000, 1.5 * (1 << 20), 1.5 * (1 << 20), 100, 5000]) {
    const body = 'é€😀x'.repeat(Math.ceil(n / 5)).slice(0, n);
    texts.push(body, `${body}ü`, `a${body}`);
  }
  for (const t of texts) conn.sendText(t);
  const got = [];
  const r = new Receiver({ isServer: false, maxPayload: 0 });
  r.on('message', (data, isBinary) => got.push(isBinary ? null : data.toString()));
  await new Promise((resolve, reject) => {
    r.on('error', reject);
    r.write(conn.takeOutput(), resolve);
  });
  assert.strictEqual(got.length, texts.length);
  // A slice may cut an emoji's surrogate pair: a lone surrogate is sent as U+FFFD, as
  // Buffer.from (and a browser's WebSocket) converts it.
  texts.forEach((t, i) => assert.strictEqual(got[i], Buffer.from(t).toString(), `message ${i} (${t.length} units)`));
  assert.ok(got.some((g, i) => g !== texts[i]) && got.some((g) => g.includes('😀')));
});

test('a Buffer lent over many reads survives garbage collection between them', () => {
  // A message completed in the call that made its Buffer needs no reference; one still
  // arriving when the call ends gets one then. Collect garbage between every read: an
  // unreferenced Buffer would be freed while the engine still writes into it.
  const v8 = require('v8');
  const vm = require('vm');
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  const binary = crypto.randomBytes(150000);
  const text = Buffer.from('añ€𝄞'.repeat(12000));
  const stream = Buffer.concat([frame(binary), frame(text, 1), frame(crypto.randomBytes(20000))]);
  const conn = server();
  conn.textAsBytes = true;
  const got = [];
  for (let i = 0; i < stream.length; i += 7777) {
    got.push(...conn.receive(stream.subarray(i, i + 7777)));
    for (let k = 0; k < 20; k++) Buffer.alloc(200000, 0xee); // reuse freed memory, visibly
    gc();
  }
  assert.deepStrictEqual(got.map((e) => e.type), ['binary', 'text', 'binary']);
  assert.ok(got[0].data.equals(binary));
  assert.ok(got[1].data.equals(text));
  assert.strictEqual(got[2].data.length, 20000);
  // A failure in the middle of a lent message (invalid UTF-8, found as it is written) drops
  // its Buffer inside the call that made it, or in a later one; no call touches it after.
  for (const read of [1 << 20, 20000]) {
    const invalid = Buffer.from('x'.repeat(50000));
    invalid[30000] = 0xff;
    const conn2 = server();
    conn2.textAsBytes = true;
    const stream2 = frame(invalid, 1);
    const events = [];
    for (let i = 0; i < stream2.length; i += read) {
      events.push(...conn2.receive(stream2.subarray(i, i + read)));
      gc();
    }
    assert.strictEqual(events[0].type, 'failed', `reads of ${read}`);
    assert.strictEqual(events[0].error.closeCode, 1007);
    gc();
  }
});

test('messages of 8-32 KiB are slices of shared slabs: distinct, kept whole across reads, slab changes and GC', () => {
  // Two connections take slices of the same slabs; each message arrives over several reads,
  // with the other connection's messages (which use the slab up and start new ones) and a
  // garbage collection between them. Every message is kept to the end and compared then.
  const v8 = require('v8');
  const vm = require('vm');
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  const sizes = [8192, 8193, 12345, 16384, 20000, 32768, 32769, 9000, 31000, 16384, 16384, 16384, 16384];
  const conns = [server(), server()];
  conns[1].textAsBytes = true;
  const sent = [[], []];
  const streams = conns.map((_, c) =>
    Buffer.concat(
      sizes.concat(sizes).map((n, i) => {
        const p = crypto.randomBytes(n);
        const text = c === 1 && i % 2 === 0;
        if (text) p.fill(0x61 + (i % 26)); // valid UTF-8
        sent[c].push([text ? 'text' : 'binary', p]);
        return frame(p, text ? 1 : 2);
      })
    )
  );
  const got = [[], []];
  const read = 5000;
  for (let i = 0; i < Math.max(...streams.map((s) => s.length)); i += read) {
    for (let c = 0; c < 2; c++) {
      got[c].push(...conns[c].receive(streams[c].subarray(i, i + read)));
      for (let k = 0; k < 5; k++) Buffer.alloc(100000, 0xee); // reuse freed memory, visibly
      gc();
    }
  }
  for (let c = 0; c < 2; c++) {
    assert.deepStrictEqual(got[c].map((e) => e.type), sent[c].map(([t]) => t), `connection ${c}`);
    sent[c].forEach(([, p], i) => {
      assert.ok(Buffer.isBuffer(got[c][i].data), `connection ${c}, message ${i}: a Buffer`);
      assert.ok(got[c][i].data.equals(p), `connection ${c}, message ${i} (${p.length} bytes): byte-exact`);
    });
  }
  const all = got[0].concat(got[1]).map((e) => e.data);
  assert.ok(all.some((a, i) => all.some((b, k) => k !== i && a.buffer === b.buffer)), 'slices share a slab');
  assert.ok(got[0].some((e) => e.data.length > 32768 && e.data.byteOffset === 0 && e.data.buffer.byteLength === e.data.length), 'past 32 KiB: a Buffer of its own');
});
