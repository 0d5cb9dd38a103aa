// wsengine-wasm: the wasm side of the JavaScript API (src/lib.rs). The Connection class,
// options, attach() and upgradeRequestBytes() are the Node binding's, from one source
// (bindings-node/lib/engine.js); this file maps only the wasm calls: it reads the event
// description the wasm side leaves in its memory and adds the Inspector.
//
// scripts/gen-api.js writes pkg/api.cjs (Node entry index.js) and pkg/api.mjs (web entry
// web.js) from engine.js followed by this file. `createApi(native, env)`:
//   native: the wasm-bindgen module (NativeConnection, Inspector, wasmMemory, deflateSupported,
//           configOptions)
//   env.bytes(u8): how a fresh Uint8Array is handed out (Node: as a Buffer, no copy)
//   env.copy(view): a fresh copy of a view of wasm memory (Node: an unzeroed Buffer)
//   env.text(u8, start, end, ascii): decodes UTF-8 from wasm memory (`u8` spans all of it)

function createApi(native, env) {
  'use strict';

  const { NativeConnection } = native;

  // ---- description format (keep in sync with src/lib.rs) ----
  // The wasm side's rare events, as JSON (the other codes: bindings-node/lib/engine.js).
  const T_OBJECT = 7;
  const T_REJECTED = 12;
  const T_FAILED = 13;
  const F_OUTPUT = 1;

  const memory = native.wasmMemory();
  let U8 = new Uint8Array(memory.buffer);
  let U32 = new Uint32Array(memory.buffer);
  const EMPTY_BYTES = new Uint8Array(0);

  function views() {
    if (U8.buffer !== memory.buffer) {
      U8 = new Uint8Array(memory.buffer);
      U32 = new Uint32Array(memory.buffer);
    }
  }

  /** Reads the events the last call described (`n` words) out of wasm memory. */
  function decode(info, n) {
    views();
    const d0 = U32[info] >>> 2;
    const textPtr = U32[info + 2];
    const textLen = U32[info + 3];
    const blobPtr = U32[info + 4];
    const blobLen = U32[info + 5];
    const text = textLen === 0 ? '' : env.text(U8, textPtr, textPtr + textLen, U32[info + 7] === 1);
    // One copy of every payload of the call; events get views of it.
    const blob = blobLen === 0 ? EMPTY_BYTES : env.copy(U8.subarray(blobPtr, blobPtr + blobLen));
    return decodeEvents(U32, d0, d0 + n, text, blob, undefined, (w, i, events) => {
      switch (w[i]) {
        case T_OBJECT:
          events.push(JSON.parse(text.substring(w[i + 1], w[i + 2])));
          return i + 3;
        case T_FAILED: {
          const e = JSON.parse(text.substring(w[i + 1], w[i + 2]));
          events.push({ type: 'failed', error: makeError(e.kind, e.message, e.closeCode) });
          return i + 3;
        }
        case T_REJECTED: {
          const o = JSON.parse(text.substring(w[i + 1], w[i + 2]));
          events.push({
            type: 'rejected',
            status: o.status,
            reason: o.reason,
            headers: o.headers,
            body: blob.subarray(w[i + 3], w[i + 4]),
            fromProxy: o.fromProxy,
          });
          return i + 5;
        }
        default:
          throw new Error('wsengine: corrupt event description');
      }
    });
  }

  const utf8 = new TextEncoder();

  function events(conn, n) {
    views();
    conn._flags = U32[conn._info + 6];
    return n === 0 ? [] : decode(conn._info, n);
  }

  // The shared JavaScript layer (bindings-node/lib/engine.js) over the wasm calls.
  const engine = createEngine({
    NativeConnection,
    configOptions: native.configOptions(),
    F_OUTPUT,
    init: (conn) => {
      conn._info = conn._n.infoPtr() >>> 2;
    },
    receive: (conn, chunk, now) => events(conn, conn._n.receive(chunk, now)),
    receiveEof: (conn, now) => events(conn, conn._n.receiveEof(now)),
    handleTimeout: (conn, now) => events(conn, conn._n.handleTimeout(now)),
    pollEvents: (conn) => events(conn, conn._n.pollEvents()),
    takeOutput: (conn) => (conn._n.bufferedAmount === 0 ? null : env.bytes(conn._n.takeOutput())),
    closeInfo: (conn) => {
      const j = conn._n.closeInfoJson;
      return j === undefined ? null : JSON.parse(j);
    },
    bytes: env.bytes,
    encode: (text) => utf8.encode(text),
  });
  const { Connection, makeError, nativeOptions, toBytes, decodeEvents } = engine;
  const NO_KEYS = new Set();

  /** Frees the wasm memory of the connection now (otherwise the GC does it, eventually). */
  Connection.prototype.free = function free() {
    if (this._n) this._n.free();
    this._n = null;
  };

  /**
   * Decodes one direction of a captured WebSocket byte stream for display (the inspector
   * page): every frame as it is on the wire, plus the events the engine reports for it.
   * `options.direction`: 'client' (stream sent by the client) or 'server';
   * `options.handshake`: the stream starts with the HTTP request / response;
   * `options.extensions`: the negotiated Sec-WebSocket-Extensions (a server stream with a
   * handshake takes it from the response); other options as for `Connection`.
   */
  class Inspector {
    constructor(options = {}) {
      const { direction = 'client', handshake = false, extensions, ...rest } = options;
      this._n = new native.Inspector(
        String(direction),
        !!handshake,
        extensions === undefined || extensions === null ? undefined : String(extensions),
        nativeOptions(rest, NO_KEYS)
      );
    }

    /** Feeds captured bytes; returns the report items they completed. */
    feed(bytes) {
      return JSON.parse(this._n.feed(toBytes(bytes, 'bytes')));
    }

    /** End of the capture: bytes left over and the engine's end-of-stream events. */
    finish() {
      return JSON.parse(this._n.finish());
    }

    free() {
      if (this._n) this._n.free();
      this._n = null;
    }
  }

  return {
    Connection,
    Inspector,
    upgradeRequestBytes: engine.upgradeRequestBytes,
    attach: engine.attach,
    deflateSupported: native.deflateSupported(),
    /** The engine's option names (the core's configuration schema, camelCased). */
    configOptions: native.configOptions(),
  };
}
