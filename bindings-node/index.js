'use strict';
// wsengine for Node.js: a thin layer over the native `NativeConnection` (src/lib.rs).
// No protocol decision is made here: this file converts types, builds event objects from
// the compact description the native side returns, and drives sockets.

const path = require('path');

/**
 * The native module: wsengine.node beside this file (built from source, or copied there by
 * the install script), else the prebuilt platform package npm chose through
 * optionalDependencies (napi-rs style), so an install with --ignore-scripts still works.
 */
function loadNative() {
  const candidates = [path.join(__dirname, 'wsengine.node'), `wsengine-${require('./lib/platform.js').platformTriple()}`];
  let lastError;
  for (const file of candidates) {
    try {
      return require(file);
    } catch (e) {
      lastError = e;
    }
  }
  const err = new Error(
    'wsengine: the native module is missing; build it with `npm run build` in bindings-node ' +
      '(needs cargo): ' + (lastError && lastError.message)
  );
  err.cause = lastError;
  throw err;
}

const native = loadNative();
const { NativeConnection } = native;
// The hot path: plain napi functions on a connection's handle (src/connection.rs).
const { receiveTo, receiveInPlaceTo, sendTextTo, sendTextBytesTo, sendBinaryTo, sendZeroCopyTo, sendTextZeroCopyTo, takeOutputTo } =
  native.hotFunctions();
// Small outputs are slices of a shared slab (lib/output-pool.js).
const output = require('./lib/output-pool.js').createOutputPool(takeOutputTo);

// ---- description format (keep in sync with src/lib.rs) ----
const F_TEXT = 1;
const F_BLOB = 2;
const F_OUTPUT = 16;
const F_ARRAY = 32;
const F_DEADLINE = 64;
const F_BLOB_IN_SLAB = 128; // receiveTo copied the blob into the lent slab; it returned the length
const F_ONE_OBJECT = 256; // the one object is returned alone (index 0)
const F_OVERFLOW = 8;
const T_OBJECT = 7; // Node's rare events: a ready-made object (the other codes: lib/engine.js)
const T_OWN_TEXT = 11; // a message received into its own Buffer (index in the returned array)
const T_OWN_BINARY = 12;
const T_SLAB_TEXT = 13; // a message received into a slice of a slab: its index, offset, length
const T_SLAB_BINARY = 14;

// One scratch description array per thread: decoding is synchronous, right after the call.
const DESC = new Uint32Array(16384);
const EMPTY = Object.freeze([]);

function decode(r, d, input) {
  const flags = d[0];
  if (d[1] === 0) return [];
  let text;
  let blob;
  let objs;
  let words = d;
  let i = 2;
  let end = 2 + d[1];
  if (flags & F_ONE_OBJECT) {
    objs = [undefined, undefined, undefined, r];
  } else if (flags & F_ARRAY) {
    text = r[0];
    blob = r[1];
    objs = r;
    if (flags & F_OVERFLOW) {
      words = new Uint32Array(r[2]);
      i = 0;
      end = words.length;
    }
  } else if (flags & F_TEXT) {
    text = r;
  } else if (flags & F_BLOB) {
    blob = r;
  }
  return decodeEvents(words, i, end, text, blob, input, (w, k, events) => {
    const o = objs[3 + w[k + 1]];
    switch (w[k]) {
      case T_OBJECT:
        events.push(o);
        break;
      case T_OWN_TEXT:
        events.push({ type: 'text', data: o });
        break;
      case T_OWN_BINARY:
        events.push({ type: 'binary', data: o });
        break;
      case T_SLAB_TEXT:
        events.push({ type: 'text', data: o.subarray(w[k + 2], w[k + 2] + w[k + 3]) });
        return k + 4;
      case T_SLAB_BINARY:
        events.push({ type: 'binary', data: o.subarray(w[k + 2], w[k + 2] + w[k + 3]) });
        return k + 4;
      default:
        corrupt();
    }
    return k + 2;
  });
}

const createEngine = require('./lib/engine.js');

function events(conn, r) {
  conn._flags = DESC[0];
  return DESC[1] === 0 ? EMPTY.slice() : decode(r, DESC);
}

// The small binary payloads of a read are copied into a slice of a shared slab, not into a
// Buffer of their own (receiveTo, F_BLOB_IN_SLAB): as with output, one allocation per slab.
// As with Node's pooled Buffers, a message's Buffer keeps its slab alive, and its `.buffer`
// is the whole slab (other messages' bytes): copy a message kept for long.
const IN_SLAB = 64 * 1024;
const IN_FREE_MIN = 8 * 1024; // a new slab when less is free (a read's blob rarely needs more)
let inSlab = Buffer.allocUnsafeSlow(IN_SLAB);
let inAt = 0;

function corrupt() {
  throw new Error('wsengine: corrupt event description');
}

function receive(conn, chunk, now) {
  return receiveBy(receiveTo, conn, chunk, now);
}

// receiveInPlace: whole messages are unmasked inside `chunk` and handed out as Buffer views
// of it (T_INPUT_*), as ws unmasks in the socket's read Buffer: no copy.
// Memory another thread may change (a SharedArrayBuffer) is copied, as `receive` does.
function receiveInPlace(conn, chunk, now) {
  if (!(chunk.buffer instanceof ArrayBuffer)) return receiveBy(receiveTo, conn, chunk, now);
  if (!Buffer.isBuffer(chunk)) chunk = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return receiveBy(receiveInPlaceTo, conn, chunk, now);
}

function receiveBy(call, conn, chunk, now) {
  if (IN_SLAB - inAt < IN_FREE_MIN) {
    inSlab = Buffer.allocUnsafeSlow(IN_SLAB);
    inAt = 0;
  }
  const r = call(conn._h, chunk, DESC, now, inSlab, inAt);
  const flags = DESC[0];
  conn._flags = flags;
  if (DESC[1] === 0) return EMPTY.slice();
  if ((flags & F_BLOB_IN_SLAB) === 0) return decode(r, DESC, chunk);
  const blob = inSlab.subarray(inAt, inAt + r);
  inAt = (inAt + r + 7) & ~7;
  return decodeEvents(DESC, 2, 2 + DESC[1], undefined, blob, chunk, corrupt);
}

// The shared JavaScript layer (lib/engine.js, also the wasm package's) over the napi calls.
const { Connection, upgradeRequestBytes, attach, decodeEvents } = createEngine({
  NativeConnection,
  configOptions: native.configOptions(),
  init: (conn) => {
    conn._h = conn._n.handle;
  },
  sendText: (conn, text) => sendTextTo(conn._h, text),
  sendTextBytes: (conn, data) => sendTextBytesTo(conn._h, data),
  sendBinary: (conn, data) => sendBinaryTo(conn._h, data),
  sendZeroCopy: (conn, data, text) => output.zeroCopy(text ? sendTextZeroCopyTo : sendZeroCopyTo, conn, data),
  F_OUTPUT,
  F_DEADLINE,
  receive,
  receiveInPlace,
  receiveEof: (conn, now) => events(conn, conn._n.receiveEof(DESC, now)),
  handleTimeout: (conn, now) => events(conn, conn._n.handleTimeout(now, DESC)),
  pollEvents: (conn) => events(conn, conn._n.pollEvents(DESC)),
  takeOutput: output.take,
  closeInfo: (conn) => conn._n.closeInfo,
  bytes: (u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength),
  encode: (text) => Buffer.from(text, 'utf8'),
});

module.exports = {
  Connection,
  upgradeRequestBytes,
  attach,
  deflateSupported: native.deflateSupported(),
  /** The engine's option names (the core's configuration schema, camelCased). */
  configOptions: native.configOptions(),
};

// The ws-compatible API (lib/ws/), loaded on first use; the W3C client is `wsengine/w3c`.
for (const name of ['WebSocket', 'WebSocketServer', 'createWebSocketStream']) {
  Object.defineProperty(module.exports, name, { enumerable: true, get: () => require('./lib/ws/index.js')[name] });
}
Object.defineProperty(module.exports, 'Server', { enumerable: false, get: () => require('./lib/ws/index.js').WebSocketServer });
module.exports.version = require('./package.json').version; // the one version of every package (Cargo.toml workspace)
