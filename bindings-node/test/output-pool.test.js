'use strict';
// Output the Node binding hands out is copied into slices of a shared slab (lib/output-pool.js).
// Every Buffer taken stays valid while later output is taken: all of them are kept, then
// decoded by ws's own Receiver, and must give back every message, whole and in order, across
// slab refills, outputs too large for the slab and zero-copy headers.
const test = require('node:test');
const assert = require('node:assert');
const crypto = require('crypto');
const { Receiver } = require('ws');
const { Connection } = require('..');

/** Every message ws's client-side Receiver decodes from `chunks`, as [Buffer, isBinary]. */
function decode(chunks) {
  const got = [];
  const receiver = new Receiver({ isServer: false, maxPayload: 0, skipUTF8Validation: false });
  receiver.on('message', (data, isBinary) => got.push([Buffer.from(data), isBinary]));
  receiver.on('error', (e) => assert.fail(`ws refused our output: ${e.message}`));
  for (const c of chunks) receiver.write(Buffer.from(c)); // a copy: the Receiver may keep it
  return got;
}

test('outputs taken from the pool never overlap, across slab refills and large outputs', () => {
  const conn = Connection.open('server', {});
  conn.pollEvents();
  const sent = [];
  const taken = [];
  let seed = 7;
  const rand = (n) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let i = 0; i < 3000; i++) {
    // Mostly small messages, some past the pool's small-output limit, some zero-copy.
    const size = rand(10) === 0 ? 8000 + rand(20000) : rand(300);
    const data = crypto.randomBytes(size);
    if (rand(7) === 0) {
      const head = conn.sendZeroCopy(data);
      if (head !== null) taken.push(head, data);
    } else if (rand(3) === 0) {
      conn.sendText(data.toString('hex'));
      sent.push([Buffer.from(data.toString('hex')), false]);
      if (rand(4) === 0) taken.push(conn.takeOutput());
      continue;
    } else {
      conn.sendBinary(data);
    }
    sent.push([data, true]);
    if (rand(4) === 0) {
      const out = conn.takeOutput();
      if (out !== null) taken.push(out);
    }
  }
  const last = conn.takeOutput();
  if (last !== null) taken.push(last);
  assert.strictEqual(conn.takeOutput(), null, 'all output was taken');
  const got = decode(taken.filter((c) => c !== null));
  assert.strictEqual(got.length, sent.length);
  sent.forEach(([data, binary], i) => {
    assert.strictEqual(got[i][1], binary, `message ${i}: kind`);
    assert.ok(got[i][0].equals(data), `message ${i}: bytes`);
  });
});

test('small outputs share a slab; a large one gets its own Buffer', () => {
  const conn = Connection.open('server', {});
  conn.pollEvents();
  conn.sendText('a');
  const a = conn.takeOutput();
  conn.sendText('b');
  const b = conn.takeOutput();
  assert.deepStrictEqual([...a], [0x81, 1, 0x61]);
  assert.deepStrictEqual([...b], [0x81, 1, 0x62]);
  assert.strictEqual(a.buffer, b.buffer, 'two small outputs are slices of one slab');
  assert.ok(b.byteOffset >= a.byteOffset + a.length, 'and do not overlap');
  conn.sendBinary(Buffer.alloc(100000, 1));
  const big = conn.takeOutput();
  assert.strictEqual(big.length, 10 + 100000); // a 64-bit length: a 10-byte header
  assert.notStrictEqual(big.buffer, a.buffer);
  assert.deepStrictEqual([...a, ...b], [0x81, 1, 0x61, 0x81, 1, 0x62], 'earlier slices are unchanged');
});
