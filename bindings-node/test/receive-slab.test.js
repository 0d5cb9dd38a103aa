'use strict';
// Small received payloads are copied into slices of a shared slab (index.js `receive`,
// F_BLOB_IN_SLAB). Every message Buffer handed out must stay intact while later reads (of this
// connection and of another one sharing the slab) fill the slab, across slab refills, messages
// too large for the slab's free part and messages received into Buffers of their own.
const test = require('node:test');
const assert = require('node:assert');
const crypto = require('crypto');

const { pair } = require('./pair.js');

test('received message Buffers stay intact across slab refills and another connection', () => {
  const a = pair();
  const b = pair();
  const sizes = [0, 1, 7, 31, 200, 3000, 9000, 20000, 70000];
  let seed = 11;
  const rand = (n) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const sent = [];
  const got = [];
  for (let round = 0; round < 600; round++) {
    for (let k = 1 + rand(5); k > 0; k--) {
      const p = crypto.randomBytes(sizes[rand(sizes.length)]);
      sent.push(p);
      a.c.sendBinary(p);
    }
    const out = a.c.takeOutput();
    for (let off = 0; off < out.length; ) {
      const step = Math.min(out.length - off, 1 + rand(30000));
      for (const e of a.s.receive(out.subarray(off, off + step), round)) {
        if (e.type === 'binary') got.push(e.data);
      }
      off += step;
      // Another connection's messages land in the same slab; scribble over them.
      b.c.sendBinary(crypto.randomBytes(40));
      for (const e of b.s.receive(b.c.takeOutput(), round)) if (e.type === 'binary') e.data.fill(0xaa);
    }
  }
  assert.strictEqual(got.length, sent.length);
  const slabBytes = got.filter((d) => d.length < 8192).reduce((n, d) => n + d.length, 0);
  assert.ok(slabBytes > 4 * 64 * 1024, `only ${slabBytes} bytes of small messages: no slab refill tested`);
  for (let i = 0; i < sent.length; i++) assert.ok(got[i].equals(sent[i]), `message ${i} (${sent[i].length} B) changed`);
});
