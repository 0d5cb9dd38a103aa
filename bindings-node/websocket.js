'use strict';
// A client with the W3C WebSocket API (https://websockets.spec.whatwg.org/) over Node's
// `net` / `tls`, driven by the wsengine `Connection`. Protocol behaviour is the engine's;
// this file does the DOM-facing parts (argument checks, event objects, binaryType).

const net = require('net');
const tls = require('tls');
const { Connection, attach, configOptions } = require('./index.js');

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

function domException(message, name) {
  if (typeof DOMException === 'function') return new DOMException(message, name);
  const e = new Error(message);
  e.name = name;
  return e;
}

const CloseEventBase =
  typeof globalThis.CloseEvent === 'function'
    ? globalThis.CloseEvent
    : class CloseEvent extends Event {
        constructor(type, init = {}) {
          super(type, init);
          this._wasClean = !!init.wasClean;
          this._code = init.code === undefined ? 0 : init.code;
          this._reason = init.reason === undefined ? '' : String(init.reason);
        }
        get wasClean() {
          return this._wasClean;
        }
        get code() {
          return this._code;
        }
        get reason() {
          return this._reason;
        }
      };

const MessageEventBase =
  typeof globalThis.MessageEvent === 'function'
    ? globalThis.MessageEvent
    : class MessageEvent extends Event {
        constructor(type, init = {}) {
          super(type, init);
          this._data = init.data;
          this._origin = init.origin || '';
        }
        get data() {
          return this._data;
        }
        get origin() {
          return this._origin;
        }
      };

const EMPTY = Buffer.alloc(0);

/** WebIDL USVString: ToString (a Symbol throws a TypeError), lone surrogates become U+FFFD. */
function toUSVString(v) {
  if (typeof v === 'symbol') throw new TypeError('Cannot convert a Symbol value to a string');
  const s = `${v}`;
  return isWellFormed(s) ? s : s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

function isWellFormed(s) {
  if (typeof s.isWellFormed === 'function') return s.isWellFormed();
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

/** WebIDL `(DOMString or sequence<DOMString>)`: iterables are sequences, anything else a string. */
function protocolList(protocols) {
  if (protocols !== null && (typeof protocols === 'object' || typeof protocols === 'function') && typeof protocols[Symbol.iterator] === 'function') {
    return Array.from(protocols, (p) => {
      if (typeof p === 'symbol') throw new TypeError('Cannot convert a Symbol value to a string');
      return `${p}`;
    });
  }
  if (typeof protocols === 'symbol') throw new TypeError('Cannot convert a Symbol value to a string');
  return [`${protocols}`];
}

function roundHalfToEven(x) {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * The standard's close() checks, made by the engine (whose close() applies the same rules) on a
 * scratch open connection, in any state of ours: the code first (1000 or 3000-4999, else
 * InvalidAccessError), then the reason (at most 123 bytes of UTF-8, else SyntaxError).
 */
function checkClose(code, reason) {
  try {
    Connection.open('client').close(code, reason === undefined ? '' : reason);
  } catch (e) {
    if (e.kind === 'invalid_close_code_for_app') throw domException(e.message, 'InvalidAccessError');
    if (e.kind === 'reason_too_long') throw domException(e.message, 'SyntaxError');
    throw e;
  }
}

// Engine options the Node extension `options` may carry: every option of the engine's schema
// except those the standard's API decides (subprotocols, delivery, pings and pongs) and the
// server-only origin list; plus the opening handshake's `headers` and `origin`.
const W3C_OWNED = new Set(['protocols', 'delivery', 'surfacePings', 'surfacePongs', 'autoPong', 'allowedOrigins']);
const ENGINE_KEYS = [...configOptions.filter((k) => !W3C_OWNED.has(k)), 'headers', 'origin'];

class WebSocket extends EventTarget {
  /**
   * @param {string|URL} url ws:, wss:, http: or https: URL.
   * @param {string|string[]} [protocols]
   * @param {object} [options] Node extension: engine options (`maxMessageSize`, `deflate`, timers,
   *   `headers`, `origin`, ...) and `tls` (options for `tls.connect`).
   */
  constructor(url, protocols = [], options = {}) {
    super();
    if (arguments.length < 1) throw new TypeError("Failed to construct 'WebSocket': 1 argument required, but only 0 present.");
    // WebIDL: USVString (a Symbol throws a TypeError; null becomes "null").
    url = toUSVString(url);
    let parsed;
    try {
      parsed = new URL(url);
    } catch {
      throw domException(`Invalid URL: ${url}`, 'SyntaxError');
    }
    if (parsed.protocol === 'http:') parsed.protocol = 'ws:';
    else if (parsed.protocol === 'https:') parsed.protocol = 'wss:';
    if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
      throw domException(`The URL's scheme must be ws, wss, http or https, not ${parsed.protocol}`, 'SyntaxError');
    }
    protocols = protocolList(protocols);
    this._url = parsed.href;
    this._readyState = CONNECTING;
    this._protocol = '';
    this._extensions = '';
    this._binaryType = 'blob';
    this._appBuffered = 0; // application bytes given to send() and not yet handed to the OS
    this._handlers = { open: null, message: null, error: null, close: null };
    this._sendQueue = null; // pending Blob reads keep send order
    this._closedBytes = 0; // bytes "sent" after closing (the standard counts them)
    this._closeFired = false;

    const engine = { protocols };
    for (const k of ENGINE_KEYS) if (options[k] !== undefined) engine[k] = options[k];
    // The standard's close() accepts 1000 and 3000-4999 only; the engine enforces the same.
    // The engine checks the rest as the standard says: a fragment (even an empty one, "ws://h/#"),
    // subprotocols that are not tokens or appear twice (exact match): SyntaxError here.
    try {
      this._conn = Connection.client(parsed.href, engine);
    } catch (e) {
      if (e.kind === 'invalid_input' && !(e instanceof TypeError)) throw domException(e.message, 'SyntaxError');
      throw e;
    }

    const secure = parsed.protocol === 'wss:';
    const host = parsed.hostname.replace(/^\[|\]$/g, '');
    const port = parsed.port ? Number(parsed.port) : secure ? 443 : 80;
    this._socket = secure
      ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ...(options.tls || {}) })
      : net.connect({ host, port });
    this._socket.setNoDelay(true);
    this._driver = attach(this._conn, this._socket, (ev) => this._onEvent(ev));
  }

  get url() {
    return this._url;
  }
  get readyState() {
    return this._readyState;
  }
  get protocol() {
    return this._protocol;
  }
  get extensions() {
    return this._extensions;
  }
  /**
   * Application bytes queued by send() and not yet handed to the network (the standard counts
   * payload bytes only: no framing, no handshake), plus what was "sent" after closing.
   */
  get bufferedAmount() {
    return this._appBuffered + this._closedBytes;
  }
  get binaryType() {
    return this._binaryType;
  }
  set binaryType(v) {
    if (v === 'nodebuffer' || v === 'arraybuffer' || v === 'blob') this._binaryType = v;
    // Other values are ignored, as the standard's enumeration attribute does.
  }

  _onEvent(ev) {
    switch (ev.type) {
      case 'open':
        this._readyState = OPEN;
        this._protocol = ev.protocol || '';
        this._extensions = ev.extensions || '';
        this.dispatchEvent(new Event('open'));
        break;
      case 'text':
        this._message(ev.data);
        break;
      case 'binary': {
        const d = ev.data;
        if (this._binaryType === 'arraybuffer') {
          this._message(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
        } else if (this._binaryType === 'blob') {
          this._message(new Blob([d]));
        } else {
          this._message(d);
        }
        break;
      }
      case 'closeReceived':
        if (this._readyState < CLOSING) this._readyState = CLOSING;
        break;
      case 'rejected':
      case 'failed':
        // "Fail the WebSocket connection": readyState is CLOSED when 'error' fires.
        this._error = ev.error;
        this._readyState = CLOSED;
        this.dispatchEvent(new Event('error'));
        break;
      case 'closed':
        this._fireClose(ev.wasClean, ev.code, ev.reason);
        break;
      default:
        break;
    }
  }

  _message(data) {
    if (this._readyState !== OPEN) return;
    this.dispatchEvent(new MessageEventBase('message', { data, origin: new URL(this._url).origin }));
  }

  _fireClose(wasClean, code, reason) {
    if (this._closeFired) return;
    this._closeFired = true;
    this._readyState = CLOSED;
    this.dispatchEvent(new CloseEventBase('close', { wasClean, code, reason }));
  }

  /** Sends a string (text), or an ArrayBuffer, TypedArray, DataView, Buffer or Blob (binary). */
  send(data) {
    if (arguments.length < 1) throw new TypeError("Failed to execute 'send' on 'WebSocket': 1 argument required, but only 0 present.");
    if (this._readyState === CONNECTING) {
      throw domException('WebSocket is still in the CONNECTING state', 'InvalidStateError');
    }
    if (typeof Blob === 'function' && data instanceof Blob) {
      const size = data.size;
      if (this._readyState !== OPEN) {
        this._closedBytes += size;
        return;
      }
      this._appBuffered += size;
      const p = (this._sendQueue || Promise.resolve()).then(() => data.arrayBuffer()).then((ab) => this._sendNow(new Uint8Array(ab), size));
      this._sendQueue = p;
      p.then(() => {
        if (this._sendQueue === p) this._sendQueue = null;
      });
      return;
    }
    if (typeof data !== 'string') {
      if (data instanceof ArrayBuffer) data = new Uint8Array(data);
      else if (ArrayBuffer.isView(data)) data = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      else data = toUSVString(data);
    } else if (!isWellFormed(data)) data = toUSVString(data);
    // Counted at once, in the same task (the standard's bufferedAmount).
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    if (this._readyState !== OPEN) {
      // The standard: after closing started, sends only grow bufferedAmount.
      this._closedBytes += size;
      return;
    }
    this._appBuffered += size;
    if (this._sendQueue) {
      this._sendQueue = this._sendQueue.then(() => this._sendNow(data, size));
      return;
    }
    this._sendNow(data, size);
  }

  _sendNow(data, size) {
    if (this._readyState !== OPEN) {
      this._appBuffered -= size;
      this._closedBytes += size;
      return;
    }
    try {
      this._conn.send(data);
    } catch (e) {
      // e.g. output_buffer_full: the standard has no error path here; close as the engine says.
      this._error = e;
      this.dispatchEvent(new Event('error'));
      try {
        this._conn.closeWith(1011, '');
      } catch {}
    }
    this._driver.flush();
    // The bytes leave bufferedAmount once the socket has handed them to the OS: an empty write
    // queued behind them completes after they do.
    const socket = this._socket;
    if (socket.destroyed) this._appBuffered -= size;
    else socket.write(EMPTY, () => (this._appBuffered -= size));
  }

  /**
   * Starts the closing handshake. `code`: 1000 or 3000-4999 (InvalidAccessError otherwise);
   * `reason`: at most 123 bytes of UTF-8 (SyntaxError otherwise).
   */
  close(code, reason) {
    if (code !== undefined) {
      // WebIDL [Clamp] unsigned short: NaN is 0, clamp, round half to even.
      code = Number(code);
      code = Number.isNaN(code) ? 0 : roundHalfToEven(Math.min(65535, Math.max(0, code)));
    }
    if (reason !== undefined) reason = toUSVString(reason);
    checkClose(code, reason);
    if (this._readyState === CLOSING || this._readyState === CLOSED) return;
    if (this._readyState === CONNECTING) {
      // "Fail the WebSocket connection" (readyState CLOSING now); then, as a task: readyState
      // CLOSED, 'error', and 'close' with 1006.
      this._readyState = CLOSING;
      this._driver.destroy();
      setImmediate(() => {
        this._readyState = CLOSED;
        this.dispatchEvent(new Event('error'));
        this._fireClose(false, 1006, '');
      });
      return;
    }
    this._readyState = CLOSING;
    this._conn.close(code, reason === undefined ? '' : reason);
    this._driver.flush();
  }
}

for (const [name, value] of Object.entries({ CONNECTING, OPEN, CLOSING, CLOSED })) {
  Object.defineProperty(WebSocket, name, { value, enumerable: true });
  Object.defineProperty(WebSocket.prototype, name, { value, enumerable: true });
}

for (const type of ['open', 'message', 'error', 'close']) {
  Object.defineProperty(WebSocket.prototype, 'on' + type, {
    configurable: true,
    enumerable: true,
    get() {
      const h = this._handlers[type];
      return h ? h.fn : null;
    },
    set(fn) {
      const old = this._handlers[type];
      if (old) this.removeEventListener(type, old.listener);
      this._handlers[type] = null;
      if (typeof fn === 'function') {
        const listener = (ev) => fn.call(this, ev);
        this._handlers[type] = { fn, listener };
        this.addEventListener(type, listener);
      }
    },
  });
}

module.exports = { WebSocket, CloseEvent: CloseEventBase, MessageEvent: MessageEventBase };
