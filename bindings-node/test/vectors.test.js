'use strict';
// Runs the shared cross-language vectors (tests/vectors/*.json, format in its README.md)
// against the Node binding, whole and fed one byte at a time.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const path = require('path');
const { Connection, deflateSupported } = require('..');

const DIR = path.resolve(__dirname, '..', '..', 'tests', 'vectors');
const camel = (s) => s.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
const hex = (b) => Buffer.from(b).toString('hex');

function options(config) {
  const o = {};
  for (const [k, v] of Object.entries(config || {})) {
    o[camel(k)] = k === 'deflate' && v !== null && typeof v === 'object' ? camelObject(v) : v;
  }
  return o;
}
function camelObject(v) {
  const o = {};
  for (const [k, x] of Object.entries(v)) o[camel(k)] = x;
  return o;
}

/** An event in the vectors' vocabulary. */
function normalize(ev) {
  switch (ev.type) {
    case 'request':
      return { type: 'request', path: ev.path, query: ev.query, protocols: ev.protocols, origin: ev.origin };
    case 'httpRequest':
      return { type: 'http_request', path: ev.path };
    case 'open':
      return { type: 'open', protocol: ev.protocol, extensions: ev.extensions };
    case 'text':
      return { type: 'text', data: ev.data };
    case 'binary':
      return { type: 'binary', hex: hex(ev.data) };
    case 'chunk':
      return {
        type: 'chunk',
        kind: ev.kind,
        hex: typeof ev.data === 'string' ? Buffer.from(ev.data, 'utf8').toString('hex') : hex(ev.data),
        first: ev.first,
        last: ev.last,
      };
    case 'ping':
    case 'pong':
      return { type: ev.type, hex: hex(ev.data) };
    case 'closeReceived':
      return { type: 'close_received', code: ev.code, reason: ev.reason };
    case 'failed':
      assert.ok(ev.error instanceof Error, 'failed carries a JS Error');
      return { type: 'failed', kind: ev.error.kind, close_code: ev.error.closeCode };
    case 'closed':
      return { type: 'closed', code: ev.code, reason: ev.reason, was_clean: ev.wasClean };
    default:
      return { type: ev.type };
  }
}

function run(c, bytewise) {
  const config = options(c.config);
  let conn;
  if (c.start === 'open') {
    if (c.extensions) config.extensions = c.extensions;
    conn = Connection.open(c.role, config);
  } else {
    conn = Connection.server(config);
  }
  const events = [];
  const output = [];
  // With `echo`, every message is answered as it is taken (answers.json: the answers must
  // reach the wire before the engine's close frame).
  const drain = (evs) => {
    for (const e of evs) {
      if (e.type === 'open' && c.start === 'open') continue;
      events.push(normalize(e));
      if (c.echo && e.type === 'text') conn.sendText(e.data);
      if (c.echo && e.type === 'binary') conn.sendBinary(e.data);
    }
    const out = conn.takeOutput();
    if (out) output.push(Buffer.from(out));
  };
  const feed = (data) => {
    if (!bytewise) return drain(conn.receive(data));
    for (let i = 0; i < data.length; i++) drain(conn.receive(data.subarray(i, i + 1)));
    if (data.length === 0) drain(conn.receive(data));
  };
  drain(conn.pollEvents());
  for (const step of c.steps) {
    let error = null;
    try {
      if ('receive' in step) feed(Buffer.from(step.receive, 'hex'));
      else if ('receive_text' in step) feed(Buffer.from(step.receive_text, 'latin1'));
      else if ('receive_eof' in step) drain(conn.receiveEof());
      else if ('accept' in step) conn.accept({ protocol: step.accept.protocol });
      else if ('reject' in step) conn.reject(step.reject.status, [], Buffer.alloc(0));
      else if ('send_text' in step) conn.sendText(step.send_text);
      else if ('send_binary' in step) conn.sendBinary(Buffer.from(step.send_binary, 'hex'));
      else if ('ping' in step) conn.ping(Buffer.from(step.ping, 'hex'));
      else if ('pong' in step) conn.pong(Buffer.from(step.pong, 'hex'));
      else if ('close' in step) conn.close(step.close.code, step.close.reason);
      else if ('handle_timeout' in step) drain(conn.handleTimeout(step.handle_timeout));
      else throw new Error('unknown step ' + JSON.stringify(step));
    } catch (e) {
      if (!('kind' in e)) throw e;
      error = e;
    }
    if (step.error) {
      assert.ok(error, `step ${JSON.stringify(step)} should fail with ${step.error}`);
      assert.ok(error instanceof Error);
      assert.strictEqual(error.kind, step.error);
    } else if (error) {
      throw error;
    }
    drain(conn.pollEvents());
  }
  return { events, output: Buffer.concat(output).toString('hex') };
}

function matches(got, want) {
  // Fields absent from the expected event are not compared.
  const picked = {};
  for (const k of Object.keys(want)) picked[k] = got[k] === undefined ? null : got[k];
  return picked;
}

const files = fs.existsSync(DIR) ? fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).sort() : [];

test('vector files exist', () => {
  assert.ok(files.length > 0, `no vectors in ${DIR}`);
});

for (const file of files) {
  const doc = JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8'));
  test(file, async (t) => {
    for (const c of doc.cases || []) {
      if (!c.steps) continue; // codec-level vectors
      const skip = c.requires === 'deflate' && !deflateSupported ? 'deflate not compiled in' : false;
      await t.test(c.name, { skip }, () => {
        const whole = run(c, false);
        assert.strictEqual(whole.events.length, c.events.length, JSON.stringify(whole.events));
        for (let i = 0; i < c.events.length; i++) {
          assert.deepStrictEqual(matches(whole.events[i], c.events[i]), c.events[i], `event ${i}`);
        }
        if (c.output !== undefined) assert.strictEqual(whole.output, c.output);
        if (c.output_prefix !== undefined) assert.ok(whole.output.startsWith(c.output_prefix), whole.output);
        const bytewise = run(c, true);
        assert.deepStrictEqual(bytewise.events, whole.events, 'byte-at-a-time events');
        // A client masks with random keys: only a server's output is deterministic.
        if (c.role === 'server') assert.strictEqual(bytewise.output, whole.output, 'byte-at-a-time output');
      });
    }
  });
}
