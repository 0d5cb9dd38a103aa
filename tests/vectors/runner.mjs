// Runs the shared vectors (tests/vectors/*.json, format in tests/vectors/README.md) against
// a wsengine JS API object: the Node binding, the wasm build under Node, or the wasm build in a
// browser page. No Node-only code here: the Chromium test imports this file in a page
// (node-tests.mjs registers the cases with node:test for the two Node suites).

const hexOf = (u8) => Array.from(u8, (b) => b.toString(16).padStart(2, '0')).join('');

function fromHex(h) {
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.substr(i * 2, 2), 16);
  return out;
}

const utf8 = new TextEncoder();
const ascii = (s) => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** The vector config (snake_case Config fields) as the API's camelCase options. */
export function optionsFrom(config) {
  const o = {};
  for (const [k, v] of Object.entries(config || {})) {
    const camel = k.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
    if (k === 'deflate') {
      const d = {};
      for (const [dk, dv] of Object.entries(v || {})) d[dk.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase())] = dv;
      o.deflate = d;
    } else {
      o[camel] = v;
    }
  }
  return o;
}

/** An API event in the vectors' form. */
export function eventJson(e) {
  const bytes = (d) => hexOf(typeof d === 'string' ? utf8.encode(d) : d);
  switch (e.type) {
    case 'request':
      return { type: 'request', path: e.path, query: e.query, protocols: e.protocols, origin: e.origin };
    case 'httpRequest':
      return { type: 'http_request', path: e.path };
    case 'open':
      return { type: 'open', protocol: e.protocol, extensions: e.extensions };
    case 'rejected':
      return { type: 'rejected', status: e.status, body_hex: bytes(e.body) };
    case 'proxyConnected':
      return { type: 'proxy_connected' };
    case 'text':
      return { type: 'text', data: e.data };
    case 'binary':
      return { type: 'binary', hex: bytes(e.data) };
    case 'chunk':
      return { type: 'chunk', kind: e.kind, hex: bytes(e.data), first: e.first, last: e.last };
    case 'ping':
      return { type: 'ping', hex: bytes(e.data) };
    case 'pong':
      return { type: 'pong', hex: bytes(e.data) };
    case 'closeReceived':
      return { type: 'close_received', code: e.code, reason: e.reason };
    case 'failed':
      if (!(e.error instanceof Error)) return { type: 'failed without a JS Error' };
      return { type: 'failed', kind: e.error.kind, close_code: e.error.closeCode };
    case 'closed':
      return { type: 'closed', code: e.code, reason: e.reason, was_clean: e.wasClean };
    case 'writable':
      return { type: 'writable' };
    default:
      return { type: JSON.stringify(e) };
  }
}

/** Runs one case; `bytewise` feeds receive steps one byte at a time. */
export function runCase(api, c, bytewise) {
  const { Connection } = api;
  const options = optionsFrom(c.config);
  let conn;
  if (c.start === 'open') {
    if (c.extensions !== undefined) options.extensions = c.extensions;
    conn = Connection.open(c.role, options);
  } else {
    conn = Connection.server(options);
  }
  const events = [];
  const output = [];
  // With `echo`, every message is answered as it is taken (answers.json: the answers must
  // reach the wire before the engine's close frame).
  const drain = (evs) => {
    for (const e of evs) {
      if (e.type === 'open' && c.start === 'open') continue;
      events.push(eventJson(e));
      if (c.echo && e.type === 'text') conn.sendText(e.data);
      if (c.echo && e.type === 'binary') conn.sendBinary(e.data);
    }
    const out = conn.takeOutput();
    if (out !== null) output.push(hexOf(out));
  };
  const feed = (data) => {
    if (!bytewise) return drain(conn.receive(data));
    for (let i = 0; i < data.length; i++) drain(conn.receive(data.subarray(i, i + 1)));
    if (data.length === 0) drain(conn.receive(data));
  };
  drain(conn.pollEvents());
  for (const step of c.steps) {
    let error = null;
    const act = (f) => {
      try {
        f();
      } catch (e) {
        error = e;
      }
    };
    if ('receive' in step) feed(fromHex(step.receive));
    else if ('receive_text' in step) feed(ascii(step.receive_text));
    else if ('receive_eof' in step) drain(conn.receiveEof());
    else if ('accept' in step) act(() => conn.accept({ protocol: step.accept.protocol }));
    else if ('reject' in step) act(() => conn.reject(step.reject.status, [], new Uint8Array(0)));
    else if ('send_text' in step) act(() => conn.sendText(step.send_text));
    else if ('send_binary' in step) act(() => conn.sendBinary(fromHex(step.send_binary)));
    else if ('ping' in step) act(() => conn.ping(fromHex(step.ping)));
    else if ('pong' in step) act(() => conn.pong(fromHex(step.pong)));
    else if ('close' in step) act(() => conn.close(step.close.code, step.close.reason));
    else if ('handle_timeout' in step) drain(conn.handleTimeout(step.handle_timeout));
    else throw new Error(`unknown step ${JSON.stringify(step)}`);
    if (step.error !== undefined) {
      if (error === null) throw new Error(`step ${JSON.stringify(step)}: expected error ${step.error}`);
      if (error.kind !== step.error) throw new Error(`step ${JSON.stringify(step)}: error ${error.kind}, expected ${step.error}`);
    } else if (error !== null) {
      throw new Error(`step ${JSON.stringify(step)}: unexpected error ${error.kind}: ${error.message}`);
    }
    drain(conn.pollEvents());
  }
  conn.free && conn.free();
  return { events, output: output.join('') };
}

/** Checks a case whole and byte by byte; returns a list of mismatch descriptions. */
export function checkCase(api, c) {
  const problems = [];
  for (const bytewise of [false, true]) {
    const how = bytewise ? 'byte by byte' : 'whole';
    let got;
    try {
      got = runCase(api, c, bytewise);
    } catch (e) {
      problems.push(`${how}: ${e.message}`);
      continue;
    }
    const want = c.events;
    if (got.events.length !== want.length) {
      problems.push(`${how}: ${got.events.length} events, expected ${want.length}: ${JSON.stringify(got.events)}`);
    } else {
      want.forEach((w, i) => {
        for (const [k, v] of Object.entries(w)) {
          if (JSON.stringify(got.events[i][k]) !== JSON.stringify(v)) {
            problems.push(`${how}: event ${i} ${k} = ${JSON.stringify(got.events[i][k])}, expected ${JSON.stringify(v)}`);
          }
        }
      });
    }
    if (c.output !== undefined && got.output !== c.output) {
      problems.push(`${how}: output ${got.output}, expected ${c.output}`);
    }
    if (c.output_prefix !== undefined && !got.output.startsWith(c.output_prefix)) {
      problems.push(`${how}: output ${got.output} does not start with ${c.output_prefix}`);
    }
  }
  return problems;
}
