#!/usr/bin/env node
'use strict';
// Receive-path benchmark: wsengine's Connection vs ws's Receiver (with bufferutil), fed the
// identical byte streams in the same process and the same run; and send rows (send() vs ws's
// Sender on the same strings and buffers).
//
//   node bench/bench.js            # all cases
//   node bench/bench.js small      # cases whose name contains "small"
//   BENCH_SECONDS=2 node bench/bench.js
//   BENCH_JSON=out.json node bench/bench.js   # also write the results for scripts/bench_report.py
//
// Both sides end with the same values: text as JS strings (ws: `data.toString()`, which is
// what a 'message' handler does for text), binary as Buffers. Streams are client-to-server
// (masked) and are fed in 64 KiB reads, like a socket delivers them.

const crypto = require('crypto');
const zlib = require('zlib');
const { Connection, deflateSupported } = require('..');
const ws = require('ws');
const path = require('path');
const wsLib = path.join(path.dirname(require.resolve('ws')), 'lib');
const { Receiver, Sender } = ws;

const PerMessageDeflate = require(path.join(wsLib, 'permessage-deflate.js'));

const SECONDS = Number(process.env.BENCH_SECONDS || 4);
const READ = 64 * 1024;
const filter = process.argv[2] || '';

// ---- stream construction (ws's Sender frames them, so neither side encodes its own input) ----

function frame(payload, opcode, fin = true, rsv1 = false) {
  const parts = Sender.frame(payload, {
    fin,
    opcode,
    mask: true,
    maskBuffer: crypto.randomBytes(4),
    readOnly: false,
    rsv1,
  });
  return Buffer.concat(parts);
}

function chunked(stream) {
  const out = [];
  for (let i = 0; i < stream.length; i += READ) out.push(stream.subarray(i, i + READ));
  return out;
}

function mixedUtf8(bytes, seed) {
  const alphabet = ['a', 'b', 'c', ' ', 'é', 'ß', 'ж', '€', '中', '文', '😀', '𝄞', 'x', 'y', '1', '\n'];
  let s = '';
  let n = 0;
  let r = seed;
  while (n < bytes) {
    r = (r * 1103515245 + 12345) & 0x7fffffff;
    const ch = alphabet[r % alphabet.length];
    const len = Buffer.byteLength(ch);
    if (n + len > bytes) {
      s += 'z'.repeat(bytes - n);
      break;
    }
    s += ch;
    n += len;
  }
  return s;
}

function cases() {
  const list = [];
  {
    const msgs = [];
    for (let i = 0; i < 20000; i++) msgs.push(frame(Buffer.from(`{"id":${i},"op":"tick","v":${i % 97}}`), 1));
    list.push({ name: 'small text messages (~30 B)', stream: Buffer.concat(msgs), messages: msgs.length });
  }
  {
    const msgs = [];
    for (let i = 0; i < 20000; i++) msgs.push(frame(crypto.randomBytes(16 + (i % 48)), 2));
    list.push({ name: 'small binary messages (16-64 B)', stream: Buffer.concat(msgs), messages: msgs.length });
  }
  {
    const msgs = [];
    for (let i = 0; i < 2000; i++) msgs.push(frame(Buffer.from(mixedUtf8(1024, i + 1)), 1));
    list.push({ name: '1 KiB mixed UTF-8 text', stream: Buffer.concat(msgs), messages: msgs.length });
  }
  {
    const msgs = [];
    for (let i = 0; i < 200; i++) {
      const text = Buffer.from(mixedUtf8(16 * 1024, i + 7));
      const n = 64;
      const step = text.length / n;
      for (let k = 0; k < n; k++) {
        // Fragment boundaries may split characters: the engine must reassemble them.
        msgs.push(frame(text.subarray(k * step, (k + 1) * step), k === 0 ? 1 : 0, k === n - 1));
      }
    }
    list.push({ name: 'fragmented text (16 KiB in 64 fragments)', stream: Buffer.concat(msgs), messages: 200 });
  }
  {
    const msgs = [];
    for (let i = 0; i < 200; i++) msgs.push(frame(crypto.randomBytes(1 << 20), 2));
    list.push({ name: 'large binary messages (1 MiB)', stream: Buffer.concat(msgs), messages: msgs.length });
  }
  {
    // Send path: the same small texts framed by each side (server role, no mask), output
    // taken once per 64 messages as a socket write would.
    const texts = [];
    for (let i = 0; i < 20000; i++) texts.push(`{"id":${i},"op":"tick","v":${i % 97}}`);
    list.push({ name: 'send small text messages (~30 B)', send: texts, messages: texts.length, stream: Buffer.alloc(0) });
    // The same, with ws's socket stand-in turning strings into bytes as net.Socket must
    // (ws leaves a text payload to the socket as a string; wsengine hands out bytes).
    list.push({
      name: 'send small text messages (~30 B), ws socket encodes',
      send: texts,
      encode: true,
      messages: texts.length,
      stream: Buffer.alloc(0),
    });
    const blobs = [];
    for (let i = 0; i < 20000; i++) blobs.push(crypto.randomBytes(16 + (i % 48)));
    list.push({ name: 'send small binary messages (16-64 B)', send: blobs, messages: blobs.length, stream: Buffer.alloc(0) });
    // Large sends: JSON-like text (as Socket.IO sends it) and binary, 16 KiB each, output
    // taken after each message (as the ws-compatible layer takes it from 8 KiB). ws hands the
    // caller's Buffer to the socket as it is (no copy: the stand-in socket then does no work
    // at all for binary); wsengine copies it into its output and that into the Buffer written.
    const bigTexts = [];
    for (let i = 0; i < 2000; i++) bigTexts.push(`{"id":${i},"data":"${'abcdefghij'.repeat(1638)}"}`.slice(0, 16384));
    list.push({
      name: 'send 16 KiB text messages, ws socket encodes',
      send: bigTexts,
      encode: true,
      takeEach: true,
      messages: bigTexts.length,
      stream: Buffer.alloc(0),
    });
    const bigBlobs = [];
    for (let i = 0; i < 2000; i++) bigBlobs.push(crypto.randomBytes(16384));
    list.push({ name: 'send 16 KiB binary messages', send: bigBlobs, takeEach: true, messages: bigBlobs.length, stream: Buffer.alloc(0) });
    // The same through sendZeroCopy, as the ws-compatible layer sends from 16 KiB: only the
    // header is queued and taken; the caller's Buffer is written as it is, as ws writes it.
    list.push({
      name: 'send 16 KiB binary messages, zero-copy (sendZeroCopy)',
      send: bigBlobs,
      zeroCopy: true,
      messages: bigBlobs.length,
      stream: Buffer.alloc(0),
    });
  }
  if (deflateSupported) {
    const msgs = [];
    const count = 2000;
    for (let i = 0; i < count; i++) {
      const payload = Buffer.from(
        JSON.stringify({ id: i, user: `user${i % 50}`, items: Array.from({ length: 20 }, (_, k) => ({ k, name: `item-${k}`, price: k * 1.5 })) })
      );
      // permessage-deflate without context takeover: each message its own raw deflate stream.
      msgs.push(frame(withSyncFlush(payload), 1, true, true));
    }
    list.push({
      name: 'deflate text receive (~1 KiB JSON, no context takeover)',
      stream: Buffer.concat(msgs),
      messages: count,
      deflate: true,
    });
  }
  return list;
}

function withSyncFlush(payload) {
  // RFC 7692 §7.2.1: compress, sync flush, drop the trailing 00 00 ff ff.
  const z = zlib.deflateRawSync(payload, { level: 6, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  return z.subarray(0, z.length - 4);
}

// ---- the two receivers ----

function ourSender(c) {
  const conn = Connection.open('server', {});
  conn.pollEvents();
  let got = 0;
  let sink = 0;
  return {
    feed() {
      const texts = c.send;
      const mask = c.takeEach ? 0 : 63;
      if (c.zeroCopy) {
        for (let i = 0; i < texts.length; i++) {
          sink += conn.sendZeroCopy(texts[i]).length + texts[i].length; // header, then the Buffer
          got++;
        }
        return;
      }
      for (let i = 0; i < texts.length; i++) {
        conn.send(texts[i]);
        if ((i & mask) === mask) sink += conn.takeOutput().length;
        got++;
      }
      const out = conn.takeOutput();
      if (out) sink += out.length;
    },
    count: () => got,
    sink: () => sink,
  };
}

function wsSender(c) {
  // ws's Sender on a socket stand-in that only counts what is written (corked per 64, as ws
  // corks a burst of sends).
  let sink = 0;
  const socket = {
    cork() {},
    uncork() {},
    write(chunk) {
      sink += typeof chunk === 'string' && c.encode ? Buffer.from(chunk).length : chunk.length;
      return true;
    },
  };
  const sender = new Sender(socket, {});
  let got = 0;
  return {
    feed() {
      const texts = c.send;
      for (let i = 0; i < texts.length; i++) {
        sender.send(texts[i], { binary: typeof texts[i] !== 'string', fin: true, mask: false, compress: false });
        got++;
      }
    },
    count: () => got,
    sink: () => sink,
  };
}

function ourReceiver(c) {
  if (c.send) return ourSender(c);
  const conn = Connection.open('server', {
    maxMessageSize: 64 << 20,
    extensions: c.deflate ? 'permessage-deflate; client_no_context_takeover; server_no_context_takeover' : undefined,
    deflate: c.deflate ? {} : undefined,
  });
  conn.pollEvents(); // the 'open' event
  let got = 0;
  let sink = 0;
  return {
    feed(chunks) {
      for (let i = 0; i < chunks.length; i++) {
        const events = conn.receive(chunks[i]);
        for (let k = 0; k < events.length; k++) {
          const ev = events[k];
          if (ev.type === 'text') sink += ev.data.length;
          else if (ev.type === 'binary') sink += ev.data.length;
          else throw new Error('unexpected event ' + ev.type + ' ' + (ev.error && ev.error.message));
          got++;
        }
      }
    },
    count: () => got,
    sink: () => sink,
  };
}

function wsReceiver(c) {
  if (c.send) return wsSender(c);
  const extensions = {};
  if (c.deflate) {
    const pmd = new PerMessageDeflate({ clientNoContextTakeover: true, serverNoContextTakeover: true }, true, 0);
    pmd.accept([{ client_no_context_takeover: [true], server_no_context_takeover: [true] }]);
    extensions[PerMessageDeflate.extensionName] = pmd;
  }
  const r = new Receiver({ isServer: true, binaryType: 'nodebuffer', extensions, maxPayload: 64 << 20 });
  let got = 0;
  let sink = 0;
  r.on('message', (data, isBinary) => {
    if (isBinary) sink += data.length;
    else sink += data.toString().length;
    got++;
  });
  r.on('error', (e) => {
    throw e;
  });
  return {
    feed(chunks) {
      for (let i = 0; i < chunks.length; i++) r.write(chunks[i]);
    },
    count: () => got,
    sink: () => sink,
    async drain(expected) {
      // ws inflates on zlib's thread pool: wait for every message.
      while (got < expected) await new Promise((res) => setImmediate(res));
    },
  };
}

async function pass(rx, c, stream, iterations) {
  let elapsed = 0;
  for (let i = 0; i < iterations; i++) {
    const chunks = chunked(Buffer.from(stream));
    const start = process.hrtime.bigint();
    rx.feed(chunks);
    if (rx.drain) await rx.drain((i + 1) * c.messages);
    elapsed += Number(process.hrtime.bigint() - start) / 1e9;
  }
  if (rx.count() !== iterations * c.messages) {
    throw new Error(`${c.name}: expected ${iterations * c.messages} messages, got ${rx.count()}`);
  }
  return elapsed / iterations;
}

/**
 * Seconds per stream for each side: rounds alternate between the two receivers (so load from
 * other processes hits both alike) and the best round of each counts. Each pass feeds a fresh
 * copy of the stream (ws unmasks in place); only feeding (and, for ws with deflate, waiting for
 * its thread-pool inflation) is timed.
 */
async function measure(c) {
  const rounds = Number(process.env.BENCH_ROUNDS || 7);
  // Calibrate: enough iterations for about SECONDS / rounds / 2 per round and side.
  const probe = await pass(ourReceiver(c), c, c.stream, 1);
  const iterations = Math.max(1, Math.round(SECONDS / rounds / 2 / Math.max(probe, 1e-6)));
  await pass(wsReceiver(c), c, c.stream, 1);
  let ours = Infinity;
  let theirs = Infinity;
  for (let r = 0; r < rounds; r++) {
    ours = Math.min(ours, await pass(ourReceiver(c), c, c.stream, iterations));
    theirs = Math.min(theirs, await pass(wsReceiver(c), c, c.stream, iterations));
  }
  return { ours, theirs };
}

async function main() {
  const env = `node ${process.version}, ws ${require(path.join(wsLib, '..', 'package.json')).version} + bufferutil`;
  const rows = [];
  console.log(`${env}, wsengine deflate: ${deflateSupported}`);
  console.log('case | wsengine msg/s | ws msg/s | wsengine MB/s | ws MB/s | ratio');
  console.log('--- | ---: | ---: | ---: | ---: | ---:');
  for (const c of cases()) {
    if (filter && !c.name.includes(filter)) continue;
    const { ours, theirs } = await measure(c);
    const common = { workload: c.name, messages: c.messages, bytes: c.stream.length };
    rows.push({ ...common, impl: 'wsengine', seconds: ours }, { ...common, impl: 'ws', seconds: theirs });
    const mb = c.stream.length / 1e6;
    const f = (x) => Math.round(x).toLocaleString('en-US');
    console.log(
      `${c.name} | ${f(c.messages / ours)} | ${f(c.messages / theirs)} | ${(mb / ours).toFixed(0)} | ${(mb / theirs).toFixed(0)} | ${(theirs / ours).toFixed(2)}x`
    );
  }
  if (process.env.BENCH_JSON) require('fs').writeFileSync(process.env.BENCH_JSON, JSON.stringify({ suite: 'node', env, rows }, null, 1));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
