// The JavaScript layer of wsengine, shared by the Node binding (`wsengine`, napi-rs) and the
// WebAssembly binding (`wsengine-wasm`): the `Connection` class, option parsing, `attach()` and
// `upgradeRequestBytes()`. One source: bindings-node/index.js requires it, and
// bindings-wasm/scripts/gen-api.js copies it into the wasm package's generated modules. No
// protocol decision is made here: it converts types and drives sockets; every rule is the core's.
//
// `createEngine(backend)` takes what differs between the two native sides:
//   backend.NativeConnection           the native class (static server / client / open)
//   backend.configOptions              the engine's option names (the core's schema, camelCased)
//   backend.init(conn)                 optional, per-connection set-up
//   backend.receive(conn, chunk, now), backend.receiveEof(conn, now),
//   backend.receiveInPlace(conn, chunk, now)
//                                      optional (else `receive`): may unmask whole messages
//                                      inside `chunk` and hand them out as views of it
//   backend.handleTimeout(conn, now), backend.pollEvents(conn)
//                                      the native call, decoded into event objects; each sets
//                                      conn._flags from the native side's description
//   backend.F_OUTPUT                   the flag bit "output is pending"
//   backend.F_DEADLINE                 optional: the flag bit "a deadline is set" (else
//                                      `hadDeadline` asks `nextTimeout()`)
//   backend.takeOutput(conn)           every queued byte as a Buffer / Uint8Array, or null
//   backend.closeInfo(conn)            the native close info as a plain object, or null
//   backend.bytes(u8)                  a fresh Uint8Array as handed out (Node: a Buffer view)
//   backend.encode(string)             UTF-8 bytes of a string
//   backend.sendText(conn, string), backend.sendTextBytes(conn, u8), backend.sendBinary(conn, u8)
//                                      optional faster send calls (Node: plain napi functions)
// It returns the API and the helpers a backend's decoder uses (decodeEvents, makeError).

function createEngine(backend) {
  'use strict';

  const { NativeConnection } = backend;
  const receiveInPlace = backend.receiveInPlace || backend.receive;

  function makeError(kind, message, closeCode, Ctor = Error) {
    const err = new Ctor(message);
    err.code = kind;
    err.kind = kind;
    err.closeCode = closeCode;
    return err;
  }

  // The send calls: the backend's fast path when it has one, else the native methods.
  const sendText = backend.sendText || ((conn, text) => conn._n.sendText(text));
  const sendTextBytes = backend.sendTextBytes || ((conn, data) => conn._n.sendTextBytes(data));
  const sendBinary = backend.sendBinary || ((conn, data) => conn._n.sendBinary(data));
  // Without a native zero-copy send the engine queues the whole message (a valid answer).
  const sendZeroCopy =
    backend.sendZeroCopy ||
    ((conn, data, text) => {
      if (text) sendTextBytes(conn, data);
      else sendBinary(conn, data);
      return null;
    });

  // ---- events ----

  // Event codes of the native description (the same in bindings-node/src/lib.rs and
  // bindings-wasm/src/lib.rs): a code word, then its fields.
  const T_TEXT = 1; // start, end in the call's text
  const T_BINARY = 2; // start, end in the call's blob
  const T_CHUNK_TEXT = 3; // flags (1 first, 2 last), start, end in the text
  const T_CHUNK_BYTES = 4; // flags (1 first, 2 last, 4 text), start, end in the blob
  const T_PING = 5;
  const T_PONG = 6;
  const T_WRITABLE = 8;
  const T_PROXY_CONNECTED = 9;
  const T_TEXT_BYTES = 10; // start, end in the call's blob (a connection with textAsBytes)
  const T_INPUT_BINARY = 15; // start, end in the call's input (receiveInPlace)
  const T_INPUT_TEXT = 16; // the same for text as bytes (textAsBytes)

  /**
   * Builds the event objects of one native call from its description words[i..end], the
   * call's text (one string), blob (one byte buffer) and input (the chunk a `receiveInPlace`
   * was given): messages become substrings and subarrays. `rare(words, i, events)` decodes
   * any other code, pushes its event and returns the index after it.
   */
  function decodeEvents(words, i, end, text, blob, input, rare) {
    const events = [];
    while (i < end) {
      switch (words[i]) {
        case T_TEXT: {
          const s = words[i + 1];
          const e = words[i + 2];
          events.push({ type: 'text', data: s === 0 && e === text.length ? text : text.substring(s, e) });
          i += 3;
          break;
        }
        case T_BINARY: {
          const s = words[i + 1];
          const e = words[i + 2];
          // The whole blob is the message's own (an empty one is a fresh subarray: the
          // WASM side's empty blob is shared).
          events.push({ type: 'binary', data: s === 0 && e === blob.length && e > 0 ? blob : blob.subarray(s, e) });
          i += 3;
          break;
        }
        case T_TEXT_BYTES:
          events.push({ type: 'text', data: blob.subarray(words[i + 1], words[i + 2]) });
          i += 3;
          break;
        case T_INPUT_BINARY:
          events.push({ type: 'binary', data: input.subarray(words[i + 1], words[i + 2]) });
          i += 3;
          break;
        case T_INPUT_TEXT:
          events.push({ type: 'text', data: input.subarray(words[i + 1], words[i + 2]) });
          i += 3;
          break;
        case T_CHUNK_TEXT: {
          const f = words[i + 1];
          events.push({
            type: 'chunk',
            kind: 'text',
            data: text.substring(words[i + 2], words[i + 3]),
            first: (f & 1) !== 0,
            last: (f & 2) !== 0,
          });
          i += 4;
          break;
        }
        case T_CHUNK_BYTES: {
          const f = words[i + 1];
          events.push({
            type: 'chunk',
            kind: f & 4 ? 'text' : 'binary',
            data: blob.subarray(words[i + 2], words[i + 3]),
            first: (f & 1) !== 0,
            last: (f & 2) !== 0,
          });
          i += 4;
          break;
        }
        case T_PING:
          events.push({ type: 'ping', data: blob.subarray(words[i + 1], words[i + 2]) });
          i += 3;
          break;
        case T_PONG:
          events.push({ type: 'pong', data: blob.subarray(words[i + 1], words[i + 2]) });
          i += 3;
          break;
        case T_WRITABLE:
          events.push({ type: 'writable' });
          i += 1;
          break;
        case T_PROXY_CONNECTED:
          events.push({ type: 'proxyConnected' });
          i += 1;
          break;
        default:
          // The rare events, in each native side's own form.
          i = rare(words, i, events);
      }
    }
    return events;
  }

  // ---- argument conversion ----

  function inputError(message, Ctor = TypeError) {
    return makeError('invalid_input', message, 1006, Ctor);
  }

  function toBytes(data, what) {
    if (data === undefined || data === null) return backend.bytes(new Uint8Array(0));
    if (data instanceof Uint8Array) return data;
    if (typeof data === 'string') return backend.encode(data);
    if (data instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && data instanceof SharedArrayBuffer)) {
      return new Uint8Array(data);
    }
    if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    throw inputError(`${what} must be a Buffer, TypedArray, DataView, ArrayBuffer or string`);
  }

  function flatHeaders(headers) {
    const flat = [];
    if (headers === undefined || headers === null) return flat;
    const push = (n, v) => {
      if (typeof n !== 'string') throw inputError('header names must be strings');
      if (Array.isArray(v)) {
        for (const x of v) flat.push(n, String(x));
      } else {
        flat.push(n, String(v));
      }
    };
    if (Array.isArray(headers)) {
      for (const h of headers) {
        if (Array.isArray(h)) push(h[0], h[1]);
        else if (h && typeof h === 'object') push(h.name, h.value);
        else throw inputError('headers must be [name, value] pairs or {name, value} objects');
      }
    } else if (typeof headers === 'object') {
      for (const n of Object.keys(headers)) push(n, headers[n]);
    } else {
      throw inputError('headers must be an array or an object');
    }
    return flat;
  }

  // The engine's options, as the core's schema names them (camelCased by the native side):
  // the core checks every value, so nothing here knows an option's type.
  const CONFIG_KEYS = new Set(backend.configOptions);

  /** The options the engine reads, after checking that every key is known. */
  function nativeOptions(options, extraKeys, out = {}) {
    if (options === undefined || options === null) return out;
    if (typeof options !== 'object') throw inputError('options must be an object');
    for (const key of Object.keys(options)) {
      if (CONFIG_KEYS.has(key)) out[key] = options[key];
      else if (!extraKeys.has(key)) throw inputError(`unknown option ${key}`);
    }
    return out;
  }

  const CLIENT_KEYS = new Set(['origin', 'headers', 'proxy']);
  const OPEN_KEYS = new Set(['protocol', 'extensions']);
  const NO_KEYS = new Set();
  const STATES = ['connecting', 'open', 'closing', 'closed'];

  function time(nowMs) {
    return nowMs === undefined || nowMs === null ? -1 : +nowMs;
  }

  /**
   * A WebSocket connection: the sans-IO engine. Feed it bytes and time, take events and
   * bytes out. One class for both roles and for post-handshake (RFC 8441 / 9220) mode.
   */
  class Connection {
    constructor(handle) {
      if (!(handle instanceof NativeConnection)) {
        throw inputError('use Connection.server(), Connection.client() or Connection.open()');
      }
      this._n = handle;
      this._flags = 0;
      if (backend.init) backend.init(this);
    }

    /** A server connection: it reads the client's HTTP request first. */
    static server(options) {
      return new Connection(NativeConnection.server(nativeOptions(options, NO_KEYS)));
    }

    /** A client connection for `url`; the upgrade request is queued as output at once. */
    static client(url, options) {
      if (typeof url !== 'string') {
        if (typeof URL !== 'undefined' && url instanceof URL) url = url.href;
        else throw inputError('url must be a string');
      }
      const o = nativeOptions(options, CLIENT_KEYS);
      if (options) {
        if (options.origin !== undefined && options.origin !== null) o.origin = String(options.origin);
        if (options.headers) o.headers = flatHeaders(options.headers);
        const p = options.proxy;
        if (p) {
          o.proxy = true;
          if (typeof p === 'object') {
            if (p.authorization !== undefined) o.proxyAuthorization = String(p.authorization);
            if (p.headers) o.proxyHeaders = flatHeaders(p.headers);
          }
        }
      }
      return new Connection(NativeConnection.client(url, o));
    }

    /** An already-open connection (the upgrade was done by an HTTP/2 or HTTP/3 stack). */
    static open(role, options) {
      const o = nativeOptions(options, OPEN_KEYS);
      if (options) {
        if (options.protocol !== undefined && options.protocol !== null) o.protocol = String(options.protocol);
        if (options.extensions !== undefined && options.extensions !== null) o.extensions = String(options.extensions);
      }
      return new Connection(NativeConnection.open(String(role), o));
    }

    /** Feeds bytes read from the transport (and the time, if given); returns every event. */
    receive(chunk, nowMs) {
      if (!(chunk instanceof Uint8Array)) chunk = toBytes(chunk, 'chunk');
      return backend.receive(this, chunk, nowMs === undefined ? -1 : +nowMs);
    }

    /**
     * `receive` for a chunk nobody else reads (a socket's `data` Buffer): whole messages are
     * unmasked inside `chunk` and handed out as views of it (no copy), as ws does with its
     * reads. The rest of `chunk` is left as it came.
     */
    receiveInPlace(chunk, nowMs) {
      if (!(chunk instanceof Uint8Array)) return this.receive(chunk, nowMs);
      return receiveInPlace(this, chunk, nowMs === undefined ? -1 : +nowMs);
    }

    /** The transport reached end of input. */
    receiveEof(nowMs) {
      return backend.receiveEof(this, time(nowMs));
    }

    /** Runs the timers due at `nowMs` (milliseconds from any fixed origin). */
    handleTimeout(nowMs) {
      return backend.handleTimeout(this, +nowMs);
    }

    /**
     * Whether text messages arrive as their UTF-8 bytes (a Buffer / Uint8Array, as `ws`
     * delivers them; validated like strings) instead of strings. Default false.
     */
    get textAsBytes() {
      return !!this._n.textAsBytes;
    }

    set textAsBytes(on) {
      this._n.textAsBytes = !!on;
    }

    /** Every event queued so far (e.g. after `accept()`). */
    pollEvents() {
      return backend.pollEvents(this);
    }

    /** When to call `handleTimeout` next (same clock as `nowMs`), or `null`. */
    nextTimeout() {
      const t = this._n.nextTimeout();
      return t === undefined || t === null ? null : t;
    }

    /**
     * Whether the engine had a deadline after the last receive / receiveEof / handleTimeout /
     * pollEvents (a close started since arms one; call `nextTimeout()` then). Lets a driver skip asking
     * for the deadline after every read.
     */
    get hadDeadline() {
      return backend.F_DEADLINE ? (this._flags & backend.F_DEADLINE) !== 0 : this.nextTimeout() !== null;
    }

    /** Every queued output byte as one Buffer / Uint8Array, or `null` when nothing is queued. */
    takeOutput() {
      return backend.takeOutput(this);
    }

    /** Whether output was pending after the last receive / handleTimeout / pollEvents. */
    get hadOutput() {
      return (this._flags & backend.F_OUTPUT) !== 0;
    }

    /** A text message: a string, or its UTF-8 bytes (a Uint8Array, validated by the engine). */
    sendText(text) {
      if (typeof text === 'string') sendText(this, text);
      else if (text instanceof Uint8Array) sendTextBytes(this, text);
      else throw inputError('sendText needs a string or a Uint8Array');
    }

    sendBinary(data) {
      sendBinary(this, data instanceof Uint8Array ? data : toBytes(data, 'data'));
    }

    /**
     * A whole message (binary, or UTF-8 text when `text`) whose payload the caller writes to
     * the transport itself, so it is never copied. `true`: only the frame header was queued;
     * take the output now and write `data`, unchanged, right after it and before anything
     * taken later. `false`: the engine queued the whole message itself (a client masks it,
     * permessage-deflate compresses it, a frame size limit splits it, a close frame waits
     * behind it; the wasm build always does), so nothing more is to be written.
     */
    sendZeroCopy(data, text = false) {
      if (!(data instanceof Uint8Array)) throw inputError('sendZeroCopy needs a Uint8Array');
      return sendZeroCopy(this, data, !!text);
    }

    /** Sends a string as text, anything else as binary. */
    send(data) {
      if (typeof data === 'string') sendText(this, data);
      else sendBinary(this, data instanceof Uint8Array ? data : toBytes(data, 'data'));
    }

    /** One fragment of a message: `kind` is 'text' or 'binary'; `fin` ends the message. */
    sendFragment(kind, data, fin) {
      if (kind !== 'text' && kind !== 'binary') throw inputError("kind must be 'text' or 'binary'");
      this._n.sendFragment(kind === 'text' ? 0 : 1, toBytes(data, 'data'), !!fin);
    }

    ping(data) {
      this._n.ping(toBytes(data, 'data'));
    }

    pong(data) {
      this._n.pong(toBytes(data, 'data'));
    }

    /** W3C-style close: `code` 1000 or 3000–4999 (optional), `reason` at most 123 bytes. */
    close(code, reason) {
      if (code !== undefined && code !== null && typeof code !== 'number') throw inputError('code must be a number');
      this._n.close(code === undefined || code === null ? -1 : code, reason === undefined ? '' : String(reason));
    }

    /** Close with any code valid on the wire (e.g. 1001, 1008). */
    closeWith(code, reason) {
      if (typeof code !== 'number') throw inputError('code must be a number');
      this._n.closeWith(code, reason === undefined ? '' : String(reason));
    }

    /** Server: accepts the pending upgrade request. Then call `pollEvents()`. */
    accept(options) {
      const o = options || {};
      const protocol = o.protocol === undefined || o.protocol === null ? undefined : String(o.protocol);
      this._n.accept(protocol, flatHeaders(o.headers));
    }

    /** Server: refuses the pending upgrade request with any status, headers and body. */
    reject(status, headers, body) {
      this._n.reject(status | 0, flatHeaders(headers), toBytes(body, 'body'));
    }

    /** Server: answers a plain HTTP request (the connection then closes). */
    respond(status, headers, body) {
      this._n.respond(status | 0, flatHeaders(headers), toBytes(body, 'body'));
    }

    /** 'connecting' | 'open' | 'closing' | 'closed' */
    get state() {
      return STATES[this._n.readyState];
    }

    /** 0..3, as `WebSocket.readyState`. */
    get readyState() {
      return this._n.readyState;
    }

    get role() {
      return this._n.role;
    }

    get bufferedAmount() {
      return this._n.bufferedAmount;
    }

    /** Whether a message may be sent now (open, or answering messages that came before a close). */
    get canSend() {
      return this._n.canSend;
    }

    get isWritable() {
      return this._n.isWritable;
    }

    get protocol() {
      const p = this._n.protocol;
      return p === undefined || p === null ? null : p;
    }

    get extensions() {
      const e = this._n.extensions;
      return e === undefined || e === null ? null : e;
    }

    get closeInfo() {
      return backend.closeInfo(this);
    }
  }

  Connection.CONNECTING = 0;
  Connection.OPEN = 1;
  Connection.CLOSING = 2;
  Connection.CLOSED = 3;

  /**
   * The head of a request Node's `http` server already parsed (the 'upgrade' event), as
   * bytes for `Connection.server().receive()`: the engine does its own validation.
   */
  function upgradeRequestBytes(req) {
    let head = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) head += `${raw[i]}: ${raw[i + 1]}\r\n`;
    head += '\r\n';
    const out = new Uint8Array(head.length);
    for (let i = 0; i < head.length; i++) out[i] = head.charCodeAt(i) & 0xff; // latin1
    return backend.bytes(out);
  }

  function monotonicNow() {
    return performance.now();
  }

  /**
   * Drives a connection over a Node stream socket (`net.Socket`, `tls.TLSSocket`): reads,
   * writes, timers and end of input. `onEvent(event)` sees every event; after 'closed' the
   * socket is ended. Returns an object with `flush()` (call it after sends) and `destroy()`.
   */
  function attach(conn, socket, onEvent, options = {}) {
    const now = options.now || monotonicNow;
    let timer = null;
    let done = false;
    const flush = () => {
      const out = conn.takeOutput();
      if (out !== null && !socket.destroyed) socket.write(out);
    };
    const schedule = () => {
      if (done) return;
      const t = conn.nextTimeout();
      if (timer) {
        clearTimeout(timer);
        timer = null;
      }
      if (t === null) return;
      timer = setTimeout(() => {
        timer = null;
        dispatch(conn.handleTimeout(now()));
      }, Math.max(0, Math.ceil(t - now())));
      if (timer.unref) timer.unref();
    };
    // Events first, output after: answers to messages that arrived with a close or a
    // failure go out before the engine's close frame (the core's delivery contract).
    const dispatch = (events) => {
      for (const ev of events) {
        try {
          onEvent(ev);
        } catch (e) {
          // A handler's exception must not stop the connection: rethrow it on its own.
          queueMicrotask(() => {
            throw e;
          });
        }
        if (ev.type === 'closed') finish();
      }
      if (!done) {
        flush();
        schedule();
      }
    };
    const finish = () => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      flush();
      if (!socket.destroyed) socket.end();
    };
    // The socket's read Buffers are ours alone: messages are handed out as views of them.
    socket.on('data', (chunk) => dispatch(conn.receiveInPlace(chunk, now())));
    socket.on('end', () => {
      if (!done) dispatch(conn.receiveEof(now()));
    });
    socket.on('close', () => {
      if (!done) dispatch(conn.receiveEof(now()));
      done = true;
      if (timer) clearTimeout(timer);
    });
    socket.on('error', () => {
      // 'close' follows; the engine reports 1006 through receiveEof.
    });
    if (options.initialEvents) dispatch(options.initialEvents);
    else dispatch(conn.handleTimeout(now()));
    return {
      flush: () => {
        flush();
        schedule();
      },
      dispatch,
      destroy: () => {
        done = true;
        if (timer) clearTimeout(timer);
        socket.destroy();
      },
    };
  }

  return {
    Connection,
    upgradeRequestBytes,
    attach,
    makeError,
    inputError,
    toBytes,
    flatHeaders,
    nativeOptions,
    decodeEvents,
  };
}

module.exports = createEngine; // (gen-api.js drops this line for the ES module)
