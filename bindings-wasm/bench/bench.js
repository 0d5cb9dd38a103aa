#!/usr/bin/env node
'use strict';
// Receive-path benchmark of the wasm build under Node, on identical byte streams:
//   - wsengine-wasm's Connection (every event out as JS values: strings, Buffers),
//   - ws's Receiver (with bufferutil, ws's fastest setup),
//   - the core's native speed-of-light loop (core/benches/common: header, copy, unmask,
//     UTF-8 check; no protocol checks, no events), built from bench/sol/ and run as a child
//     process on the same stream in the same run.
//
//   npm run build && node bench/bench.js          # all cases
//   node bench/bench.js small                     # cases whose name contains "small"
//   BENCH_SECONDS=2 BENCH_ROUNDS=5 node bench/bench.js
//   BENCH_JSON=out.json node bench/bench.js   # also write the results for scripts/bench_report.py
//
// Streams are client-to-server (masked), built like the core's benchmark workloads, and fed
// in 64 KiB reads, like a socket delivers them. Rounds alternate between the receivers so
// load from other processes hits each alike; the best round of each counts.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { Connection } = require('..');
const { Receiver } = require('ws');

const SECONDS = Number(process.env.BENCH_SECONDS || 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 5);
const READ = 64 * 1024;
const KEY = [0x37, 0xfa, 0x21, 0x3d];
const filter = process.argv[2] || '';
const root = path.join(__dirname, '..', '..');

// ---- streams (the workloads of core/benches/common/mod.rs) ----

function maskedFrame(parts, first, payload) {
  const n = payload.length;
  const head = n < 126 ? Buffer.from([first, 0x80 | n]) : n <= 0xffff ? Buffer.alloc(4) : Buffer.alloc(10);
  if (n >= 126 && n <= 0xffff) {
    head[0] = first;
    head[1] = 0x80 | 126;
    head.writeUInt16BE(n, 2);
  } else if (n > 0xffff) {
    head[0] = first;
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  const body = Buffer.alloc(n);
  for (let i = 0; i < n; i++) body[i] = payload[i] ^ KEY[i & 3];
  parts.push(head, Buffer.from(KEY), body);
}

function mixedText(len) {
  const alphabet = ['hello ', 'κόσμε ', '€uro ', '日本語 ', '🙂 ', 'json:{"a":1} '];
  let s = Buffer.alloc(0);
  const parts = [];
  let total = 0;
  for (let i = 0; total < len; i++) {
    const b = Buffer.from(alphabet[i % alphabet.length]);
    parts.push(b);
    total += b.length;
  }
  s = Buffer.concat(parts);
  // Cut back to `len` bytes on a character boundary (like String::pop).
  let end = len;
  while (end > 0 && (s[end] & 0xc0) === 0x80) end--;
  return s.subarray(0, end);
}

function cases() {
  const list = [];
  {
    const parts = [];
    let total = 0;
    let i = 0;
    while (total < 4 << 20) {
      const len = 16 + ((i * 7) % 49);
      const p = Buffer.alloc(len);
      for (let j = 0; j < len; j++) p[j] = 97 + ((i + j) % 26);
      maskedFrame(parts, 0x81, p);
      total += len;
      i++;
    }
    list.push({ name: 'small text (16-64 B)', stream: Buffer.concat(parts), messages: i });
  }
  {
    const parts = [];
    let total = 0;
    let i = 0;
    while (total < 4 << 20) {
      const len = 16 + ((i * 7) % 49);
      const p = Buffer.alloc(len);
      for (let j = 0; j < len; j++) p[j] = (i * 31 + j * 7) & 0xff;
      maskedFrame(parts, 0x82, p);
      total += len;
      i++;
    }
    list.push({ name: 'small binary (16-64 B)', stream: Buffer.concat(parts), messages: i });
  }
  {
    const parts = [];
    const text = mixedText(1024);
    for (let i = 0; i < 4096; i++) maskedFrame(parts, 0x81, text);
    list.push({ name: '1 KiB mixed UTF-8', stream: Buffer.concat(parts), messages: 4096 });
  }
  {
    const parts = [];
    const bin = Buffer.alloc(1 << 20);
    for (let i = 0; i < bin.length; i++) bin[i] = (i * 31) % 251;
    for (let i = 0; i < 4; i++) maskedFrame(parts, 0x82, bin);
    list.push({ name: '1 MiB binary', stream: Buffer.concat(parts), messages: 4 });
  }
  return list;
}

// ---- receivers ----

function oursFactory() {
  const conn = Connection.open('server', { maxMessageSize: 64 << 20, maxFrameSize: 64 << 20 });
  conn.pollEvents(); // the 'open' event
  let got = 0;
  let sink = 0;
  return {
    feed(chunks) {
      for (let i = 0; i < chunks.length; i++) {
        const events = conn.receive(chunks[i]);
        for (let k = 0; k < events.length; k++) {
          const ev = events[k];
          if (ev.type === 'text' || ev.type === 'binary') sink += ev.data.length;
          else throw new Error(`unexpected event ${ev.type} ${ev.error && ev.error.message}`);
          got++;
        }
      }
    },
    count: () => got,
    done: () => conn.free(),
  };
}

function wsFactory() {
  const r = new Receiver({ isServer: true, binaryType: 'nodebuffer', maxPayload: 64 << 20 });
  let got = 0;
  let sink = 0;
  r.on('message', (data, isBinary) => {
    sink += isBinary ? data.length : data.toString().length;
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
    done: () => {},
  };
}

function chunked(stream) {
  const copy = Buffer.from(stream); // ws unmasks in place: every pass gets fresh bytes
  const out = [];
  for (let i = 0; i < copy.length; i += READ) out.push(copy.subarray(i, i + READ));
  return out;
}

/** Seconds per stream, averaged over `iterations` passes of one receiver. */
function pass(factory, c, iterations) {
  const rx = factory();
  let elapsed = 0;
  for (let i = 0; i < iterations; i++) {
    const chunks = chunked(c.stream);
    const start = process.hrtime.bigint();
    rx.feed(chunks);
    elapsed += Number(process.hrtime.bigint() - start) / 1e9;
  }
  if (rx.count() !== iterations * c.messages) throw new Error(`${c.name}: ${rx.count()} messages, expected ${iterations * c.messages}`);
  rx.done();
  return elapsed / iterations;
}

/**
 * Seconds per stream of the least JavaScript must do to hand each message over as a Buffer of
 * its own, whatever parses it: allocate the Buffer and copy the payload in (no parsing, no
 * unmasking, frame offsets precomputed). For large messages this allocation, not the
 * protocol, bounds every JS receiver (ws included).
 */
function jsFloor(c, iterations) {
  const spans = [];
  for (let at = 0; at < c.stream.length; ) {
    const n7 = c.stream[at + 1] & 0x7f;
    const head = n7 === 126 ? 4 : n7 === 127 ? 10 : 2;
    const len = n7 === 126 ? c.stream.readUInt16BE(at + 2) : n7 === 127 ? Number(c.stream.readBigUInt64BE(at + 2)) : n7;
    spans.push(at + head + 4, len);
    at += head + 4 + len;
  }
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let r = 0; r < iterations; r++) {
    for (let k = 0; k < spans.length; k += 2) {
      const b = Buffer.allocUnsafe(spans[k + 1]);
      b.set(c.stream.subarray(spans[k], spans[k] + spans[k + 1]));
      sink += b.length;
    }
  }
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  let bytes = 0;
  for (let k = 1; k < spans.length; k += 2) bytes += spans[k];
  if (spans.length / 2 !== c.messages || sink !== iterations * bytes) throw new Error(`${c.name}: jsFloor saw other messages`);
  return elapsed / iterations;
}

function solBinary() {
  const dir = path.join(__dirname, 'sol');
  const target = path.join(root, 'target', 'wasm-sol');
  const bin = path.join(target, 'release', 'wsengine-wasm-sol');
  execFileSync('cargo', ['build', '--release', '--quiet', '--manifest-path', path.join(dir, 'Cargo.toml')], {
    stdio: 'inherit',
    env: { ...process.env, CARGO_TARGET_DIR: target },
  });
  return bin;
}

function sol(bin, c, probeSeconds) {
  const file = path.join(os.tmpdir(), `wsengine-wasm-bench-${process.pid}.bin`);
  fs.writeFileSync(file, c.stream);
  try {
    const reps = Math.max(1, Math.round(SECONDS / ROUNDS / 4 / Math.max(probeSeconds, 1e-6)));
    const [secs] = execFileSync(bin, [file, String(reps)], { encoding: 'utf8' }).trim().split(' ');
    return Number(secs);
  } finally {
    fs.unlinkSync(file);
  }
}

function main() {
  const bin = solBinary();
  const wsVersion = require('ws/package.json').version;
  let bufferutil = false;
  try {
    require.resolve('bufferutil');
    bufferutil = true;
  } catch {}
  const env = `node ${process.version}, ws ${wsVersion}${bufferutil ? ' + bufferutil' : ''}`;
  const rows = [];
  console.log(`${env}, ${os.cpus()[0].model}, ${os.cpus().length} cores`);
  console.log('');
  console.log('| case | wsengine-wasm msg/s | ws msg/s | wasm MB/s | ws MB/s | native SOL MB/s | JS alloc+copy floor MB/s | wasm speed ÷ ws speed | wasm time ÷ native SOL time | wasm time ÷ JS floor time |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const c of cases()) {
    if (filter && !c.name.includes(filter)) continue;
    const probe = pass(oursFactory, c, 1);
    pass(wsFactory, c, 1);
    const iterations = Math.max(1, Math.round(SECONDS / ROUNDS / 3 / Math.max(probe, 1e-6)));
    let ours = Infinity;
    let theirs = Infinity;
    let native = Infinity;
    let floor = Infinity;
    for (let r = 0; r < ROUNDS; r++) {
      ours = Math.min(ours, pass(oursFactory, c, iterations));
      theirs = Math.min(theirs, pass(wsFactory, c, iterations));
      native = Math.min(native, sol(bin, c, probe / 10));
      floor = Math.min(floor, jsFloor(c, iterations));
    }
    const common = { workload: c.name, messages: c.messages, bytes: c.stream.length };
    rows.push(
      { ...common, impl: 'wsengine-wasm', seconds: ours },
      { ...common, impl: 'ws', seconds: theirs },
      { ...common, impl: 'native speed-of-light loop', seconds: native },
      { ...common, impl: 'JS alloc+copy floor', seconds: floor }
    );
    const mb = c.stream.length / 1e6;
    const f = (x) => Math.round(x).toLocaleString('en-US');
    console.log(
      `| ${c.name} | ${f(c.messages / ours)} | ${f(c.messages / theirs)} | ${(mb / ours).toFixed(0)} | ${(mb / theirs).toFixed(0)} | ${(mb / native).toFixed(0)} | ${(mb / floor).toFixed(0)} | ${(theirs / ours).toFixed(2)}× | ${(ours / native).toFixed(2)}× | ${(ours / floor).toFixed(2)}× |`
    );
  }
  if (process.env.BENCH_JSON) fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify({ suite: 'wasm', env, rows }, null, 1));
}

main();
