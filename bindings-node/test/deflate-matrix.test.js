'use strict';
// permessage-deflate interop matrix with `ws` over 127.0.0.1 (RFC 7692): every combination of
// ws's perMessageDeflate options (serverNoContextTakeover, clientNoContextTakeover,
// serverMaxWindowBits 9..15 / unset, clientMaxWindowBits 9..15 / valueless / unset) against
// several engine policies, both directions:
//   - a ws client (each offer) against an engine server (Connection + attach);
//   - the engine's WebSocket client against a ws server (each setting).
// Each connection checks the agreed parameters on both sides against what RFC 7692 §7.1 and
// each side's rules give (ws declines some offers; then no compression is the right answer),
// echoes messages of several sizes both ways, twice (context takeover, far references into
// the previous message), and checks the bytes on the wire show compression.
// Window 8 is left out: zlib cannot compress with it, and ws and the engine both refuse it.
// ws's `false` for the two *NoContextTakeover options (explicit refusal) is left out too: it
// would make ws fail on a server's unrequested client_no_context_takeover, which RFC 7692
// §7.1.1.2 allows; unset is ws's default.
const test = require('node:test');
const assert = require('node:assert');
const net = require('net');
const WS = require('ws');
const { Connection, attach, deflateSupported } = require('..');
const { WebSocket } = require('wsengine/w3c'); // the W3C client

const skip = deflateSupported ? false : 'deflate not compiled in';

function lcg(seed) {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x;
  };
}

const MESSAGES = (() => {
  const rnd = lcg(7692);
  const words = ['alpha', 'héllo', 'wörld', '✓', '🎉', 'данные', '数据', 'json', '{"id":', '},'];
  const pick = () => words[rnd() % words.length];
  let mixed = '';
  while (Buffer.byteLength(mixed) < 1024) mixed += pick() + ' ';
  while (Buffer.byteLength(mixed) > 1024) mixed = mixed.slice(0, -1);
  const lines = [];
  for (let i = 0; i < 40; i++) {
    let l = '';
    for (let j = 20 + (rnd() % 40); j > 0; j--) l += pick();
    lines.push(l);
  }
  let text = '';
  while (text.length < 24 * 1024) text += lines[rnd() % lines.length] + '\n';
  const noise = Buffer.alloc(20000);
  for (let i = 0; i < noise.length; i++) noise[i] = rnd() >>> 24;
  // 120 KB that deflates to almost nothing even with a 9-bit window (zlib reaches 250 bytes).
  const pattern = Buffer.alloc(120000);
  for (let i = 0; i < pattern.length; i++) pattern[i] = i % 200;
  return ['', 'Hello', mixed, text, Buffer.alloc(0), Buffer.from('\x00\xff'.repeat(20), 'latin1'), noise, pattern];
})();
const PAYLOAD_BYTES = 2 * MESSAGES.reduce((n, m) => n + Buffer.byteLength(m), 0);

const WINDOW = [undefined, 9, 10, 11, 12, 13, 14, 15];
const FLAGS = [undefined, true];

// Engine-side deflate options.
const POLICIES = {
  open: { serverMaxWindowBits: null, clientMaxWindowBits: null },
  default: {},
  small: { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 9, clientMaxWindowBits: 9 },
};

function product(...lists) {
  return lists.reduce((acc, l) => acc.flatMap((a) => l.map((v) => [...a, v])), [[]]);
}

function label(o) {
  const f = (v) => (v === undefined ? '-' : v === true ? 'bare' : v === false ? 'none' : String(v));
  return `snct=${f(o.serverNoContextTakeover)} cnct=${f(o.clientNoContextTakeover)} sbits=${f(o.serverMaxWindowBits)} cbits=${f(o.clientMaxWindowBits)}`;
}

function wsOptions([snct, cnct, sbits, cbits]) {
  const o = {};
  if (snct !== undefined) o.serverNoContextTakeover = snct;
  if (cnct !== undefined) o.clientNoContextTakeover = cnct;
  if (sbits !== undefined) o.serverMaxWindowBits = sbits;
  if (cbits !== undefined) o.clientMaxWindowBits = cbits;
  return o;
}

/** `permessage-deflate; a; b=1` → [snct, cnct, sbits, cbits] as agreed (15 when absent). */
function agreed(header) {
  const [name, ...params] = header.split(';').map((s) => s.trim());
  assert.strictEqual(name, 'permessage-deflate', header);
  const p = {};
  for (const kv of params) {
    const [k, v] = kv.split('=').map((s) => s.trim());
    assert.ok(!(k in p), `duplicate ${k} in ${header}`);
    assert.ok(
      ['server_no_context_takeover', 'client_no_context_takeover', 'server_max_window_bits', 'client_max_window_bits'].includes(k),
      header,
    );
    if (k.endsWith('_bits')) assert.ok(/^(9|1[0-5])$/.test(v), header);
    else assert.strictEqual(v, undefined, header);
    p[k] = v === undefined ? true : Number(v);
  }
  return [
    !!p.server_no_context_takeover,
    !!p.client_no_context_takeover,
    p.server_max_window_bits || 15,
    p.client_max_window_bits || 15,
  ];
}

/** What an engine server with `policy` agrees to for an offer (deflate::server_negotiate). */
function expectEngineServer({ osn, ocn, osb, ocb }, policy) {
  const psb = policy.serverMaxWindowBits === undefined ? 12 : policy.serverMaxWindowBits || 15;
  const pcb = policy.clientMaxWindowBits === undefined ? 12 : policy.clientMaxWindowBits || 15;
  return [
    !!(osn || policy.serverNoContextTakeover),
    !!(ocn || policy.clientNoContextTakeover),
    osb === undefined ? psb : Math.min(osb, psb),
    // The client's window may be limited only if it offered client_max_window_bits.
    ocb === undefined ? 15 : Math.min(ocb === true ? 15 : ocb, pcb),
  ];
}

/** What the engine client offers for a policy (deflate::client_offer): client_max_window_bits
 * is always bare (our own limit only caps the window we compress with). */
function engineOffer(policy) {
  const sb = policy.serverMaxWindowBits === undefined ? 12 : policy.serverMaxWindowBits;
  return {
    osn: !!policy.serverNoContextTakeover,
    ocn: !!policy.clientNoContextTakeover,
    osb: sb === null ? undefined : sb,
    ocb: true,
  };
}

/** What a ws server with `opts` agrees to for an offer (ws's acceptAsServer), or null when
 * ws cannot accept it (it then answers 400). */
function expectWsServer({ osn, ocn, osb, ocb }, opts) {
  const ssb = opts.serverMaxWindowBits;
  const scb = opts.clientMaxWindowBits;
  if (osb !== undefined && typeof ssb === 'number' && ssb > osb) return null;
  if (typeof scb === 'number' && (typeof ocb === 'number' ? scb > ocb : !ocb)) return null;
  const cb = typeof scb === 'number' ? scb : ocb === true ? undefined : ocb;
  return [!!(osn || opts.serverNoContextTakeover), !!(ocn || opts.clientNoContextTakeover), ssb || osb || 15, cb || 15];
}

/** ws's negotiated PerMessageDeflate object, as [snct, cnct, sbits, cbits]. */
function wsParams(sock) {
  const pmd = sock._extensions['permessage-deflate'];
  if (!pmd) return null;
  const p = pmd.params;
  return [!!p.server_no_context_takeover, !!p.client_no_context_takeover, p.server_max_window_bits || 15, p.client_max_window_bits || 15];
}

function checkWire(bytesIn, bytesOut) {
  // Most of the payload is a 120 KB pattern that deflates to almost nothing.
  assert.ok(bytesIn < PAYLOAD_BYTES * 0.6, `in ${bytesIn} of ${PAYLOAD_BYTES}`);
  assert.ok(bytesOut < PAYLOAD_BYTES * 0.6, `out ${bytesOut} of ${PAYLOAD_BYTES}`);
}

function same(got, want) {
  if (typeof want === 'string') assert.strictEqual(got, want);
  else assert.ok(Buffer.isBuffer(got) && got.equals(want), `binary of ${want.length} bytes differs`);
}

function withTimeout(promise, what) {
  let t;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      t = setTimeout(() => reject(new Error(`timeout: ${what}`)), 20000);
    }),
  ]).finally(() => clearTimeout(t));
}

// ---- ws client (each offer) -> engine server (each policy) ----

function engineServer(deflate) {
  const state = { extensions: undefined, errors: [], sockets: [] };
  const server = net.createServer((socket) => {
    state.sockets.push(socket);
    const conn = Connection.server({ deflate, maxMessageSize: 4 << 20 });
    const driver = attach(conn, socket, (ev) => {
      switch (ev.type) {
        case 'request':
          conn.accept();
          driver.dispatch(conn.pollEvents());
          break;
        case 'open':
          state.extensions = ev.extensions;
          break;
        case 'text':
          conn.sendText(ev.data);
          break;
        case 'binary':
          conn.sendBinary(ev.data);
          break;
        case 'failed':
          state.errors.push(ev.error);
          break;
        default:
          break;
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, state })));
}

async function wsClientAgainstEngine(offer, policy) {
  const opts = wsOptions(offer);
  const { server, state } = await engineServer(POLICIES[policy]);
  try {
    const client = new WS(`ws://127.0.0.1:${server.address().port}/`, { perMessageDeflate: opts, maxPayload: 4 << 20 });
    let header;
    client.once('upgrade', (res) => (header = res.headers['sec-websocket-extensions']));
    const inbox = [];
    let wake = null;
    client.on('message', (data, isBinary) => {
      inbox.push(isBinary ? Buffer.from(data) : data.toString());
      if (wake) wake();
    });
    await new Promise((resolve, reject) => {
      client.once('open', resolve);
      client.once('error', reject);
    });
    const next = () =>
      inbox.length ? Promise.resolve(inbox.shift()) : new Promise((r) => (wake = () => ((wake = null), r(inbox.shift()))));
    const expected = expectEngineServer(
      {
        osn: offer[0],
        ocn: offer[1],
        osb: offer[2],
        // ws offers a bare client_max_window_bits unless told false.
        ocb: offer[3] === undefined ? true : offer[3] === false ? undefined : offer[3],
      },
      POLICIES[policy],
    );
    assert.deepStrictEqual(agreed(header), expected, header);
    assert.strictEqual(state.extensions, header);
    assert.deepStrictEqual(wsParams(client), expected);
    for (let round = 0; round < 2; round++) {
      for (const m of MESSAGES) {
        client.send(m, { binary: typeof m !== 'string' });
        same(await next(), m);
      }
    }
    const closed = new Promise((resolve) => client.once('close', (code) => resolve(code)));
    client.close(1000);
    assert.strictEqual(await closed, 1000);
    assert.deepStrictEqual(state.errors, []);
    const [sock] = state.sockets;
    checkWire(sock.bytesRead, sock.bytesWritten);
  } finally {
    server.close();
    for (const s of state.sockets) s.destroy();
  }
}

const CLIENT_OFFERS = product(FLAGS, FLAGS, WINDOW, [false, true, ...WINDOW]);

for (const policy of Object.keys(POLICIES)) {
  test(`ws client offers -> engine server (${policy})`, { skip }, async (t) => {
    for (const offer of CLIENT_OFFERS) {
      await t.test(label(wsOptions(offer)), () => withTimeout(wsClientAgainstEngine(offer, policy), label(wsOptions(offer))));
    }
  });
}

// ---- engine client (each policy) -> ws server (each setting) ----

async function engineClientAgainstWs(setting, policy) {
  const opts = wsOptions(setting);
  const wss = new WS.Server({ host: '127.0.0.1', port: 0, perMessageDeflate: opts, maxPayload: 4 << 20 });
  await new Promise((resolve) => wss.once('listening', resolve));
  const seen = [];
  wss.on('connection', (sock, req) => {
    seen.push({ sock, raw: req.socket });
    sock.on('message', (data, isBinary) => sock.send(data, { binary: isBinary }));
  });
  try {
    const ws = new WebSocket(`ws://127.0.0.1:${wss.address().port}/`, [], { deflate: POLICIES[policy], maxMessageSize: 4 << 20 });
    ws.binaryType = 'nodebuffer';
    const inbox = [];
    let wake = null;
    ws.onmessage = (e) => {
      inbox.push(e.data);
      if (wake) wake();
    };
    const expected = expectWsServer(engineOffer(POLICIES[policy]), opts);
    if (expected === null) {
      // ws answers an offer it cannot accept with 400 instead of declining the extension.
      const ev = await new Promise((resolve, reject) => {
        ws.onopen = () => reject(new Error('ws accepted an offer it should refuse'));
        ws.onclose = resolve;
      });
      assert.strictEqual(ev.code, 1006);
      assert.strictEqual(seen.length, 0);
      return;
    }
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = () => reject(new Error('error event'));
    });
    const next = () =>
      inbox.length ? Promise.resolve(inbox.shift()) : new Promise((r) => (wake = () => ((wake = null), r(inbox.shift()))));
    const [{ sock, raw }] = seen;
    assert.deepStrictEqual(wsParams(sock), expected);
    assert.deepStrictEqual(agreed(ws.extensions), expected, ws.extensions);
    for (let round = 0; round < 2; round++) {
      for (const m of MESSAGES) {
        ws.send(m);
        same(await next(), m);
      }
    }
    const closed = new Promise((resolve) => (ws.onclose = resolve));
    ws.close(1000);
    const ev = await closed;
    assert.strictEqual(ev.code, 1000);
    assert.ok(ev.wasClean);
    if (expected !== null) checkWire(raw.bytesRead, raw.bytesWritten);
  } finally {
    for (const c of wss.clients) c.terminate();
    wss.close();
  }
}

const SERVER_SETTINGS = product(FLAGS, FLAGS, WINDOW, WINDOW);

for (const policy of Object.keys(POLICIES)) {
  test(`engine client -> ws server settings (${policy})`, { skip }, async (t) => {
    for (const setting of SERVER_SETTINGS) {
      await t.test(label(wsOptions(setting)), () => withTimeout(engineClientAgainstWs(setting, policy), label(wsOptions(setting))));
    }
  });
}
