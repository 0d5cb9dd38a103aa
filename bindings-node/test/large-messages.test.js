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
