'use strict';
// A client with the W3C WebSocket API (https://websockets.spec.whatwg.org/) over Node's
// `net` / `tls`, driven by the wsengine `Connection`. Protocol behaviour is the engine's;
// this file does the DOM-facing parts (argument checks, event objects, binaryType).

const net = require('net');
const tls = require('tls');
const { Connection, attach } = require('./index.js');

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

// RFC 7230 token characters, for Sec-WebSocket-Protocol values.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

const ENGINE_KEYS = [
  'maxFrameSize',
  'maxMessageSize',
  'maxFragments',
  'maxOutputBuffer',
  'highWaterMark',
  'lowWaterMark',
  'maxOutgoingFrameSize',
  'maxHeaderBytes',
  'maxHeaders',
  'maxRejectBody',
  'ignoreUtf8Errors',
  'handshakeTimeout',
  'pingInterval',
  'pongTimeout',
  'idleTimeout',
  'maxLifetime',
  'closeTimeout',
  'deflate',
  'headers',
  'origin',
];

class WebSocket extends EventTarget {
  /**
   * @param {string|URL} url ws:, wss:, http: or https: URL.
   * @param {string|string[]} [protocols]
   * @param {object} [options] Node extension: engine options (`maxMessageSize`, `deflate`, timers,
   *   `headers`, `origin`, ...) and `tls` (options for `tls.connect`).
   */
  constructor(url, protocols, options = {}) {
    super();
    let parsed;
    try {
      parsed = new URL(String(url));
    } catch {
      throw domException(`Invalid URL: ${url}`, 'SyntaxError');
    }
    if (parsed.protocol === 'http:') parsed.protocol = 'ws:';
    else if (parsed.protocol === 'https:') parsed.protocol = 'wss:';
    if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
      throw domException(`The URL's scheme must be ws, wss, http or https, not ${parsed.protocol}`, 'SyntaxError');
    }
    if (parsed.hash) throw domException('The URL must not contain a fragment', 'SyntaxError');
    if (protocols === undefined) protocols = [];
    else if (typeof protocols === 'string') protocols = [protocols];
    else protocols = Array.from(protocols, String);
    const seen = new Set();
    for (const p of protocols) {
      if (!TOKEN.test(p) || seen.has(p.toLowerCase())) {
        throw domException(`Invalid or duplicate subprotocol: ${p}`, 'SyntaxError');
      }
      seen.add(p.toLowerCase());
    }
    this._url = parsed.href;
    this._readyState = CONNECTING;
    this._protocol = '';
    this._extensions = '';
    this._binaryType = 'nodebuffer';
    this._handlers = { open: null, message: null, error: null, close: null };
    this._sendQueue = null; // pending Blob reads keep send order
    this._closedBytes = 0; // bytes "sent" after closing (the standard counts them)
    this._closeFired = false;

    const engine = { protocols };
    for (const k of ENGINE_KEYS) if (options[k] !== undefined) engine[k] = options[k];
    // The standard's close() accepts 1000 and 3000-4999 only; the engine enforces the same.
    this._conn = Connection.client(parsed.href, engine);

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
  get bufferedAmount() {
    return this._conn.bufferedAmount + (this._socket ? this._socket.writableLength : 0) + this._closedBytes;
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
        this._error = ev.error;
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
    if (this._readyState === CONNECTING) {
      throw domException('WebSocket is still in the CONNECTING state', 'InvalidStateError');
    }
    if (typeof Blob === 'function' && data instanceof Blob) {
      const p = (this._sendQueue || Promise.resolve()).then(() => data.arrayBuffer()).then((ab) => this._sendNow(new Uint8Array(ab)));
      this._sendQueue = p;
      p.then(() => {
        if (this._sendQueue === p) this._sendQueue = null;
      });
      return;
    }
    if (typeof data !== 'string') {
      if (data instanceof ArrayBuffer) data = new Uint8Array(data);
      else if (ArrayBuffer.isView(data)) data = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      else data = String(data);
    }
    if (this._sendQueue) {
      this._sendQueue = this._sendQueue.then(() => this._sendNow(data));
      return;
    }
    this._sendNow(data);
  }

  _sendNow(data) {
    if (this._readyState !== OPEN) {
      // The standard: after closing started, sends only grow bufferedAmount.
      this._closedBytes += typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
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
  }

  /**
   * Starts the closing handshake. `code`: 1000 or 3000-4999 (InvalidAccessError otherwise);
   * `reason`: at most 123 bytes of UTF-8 (SyntaxError otherwise).
   */
  close(code, reason) {
    if (code !== undefined) {
      code = Number(code);
      // WebIDL [Clamp] unsigned short.
      code = Number.isNaN(code) ? 0 : Math.min(65535, Math.max(0, Math.round(code)));
      if (code !== 1000 && !(code >= 3000 && code <= 4999)) {
        throw domException(`The code must be either 1000, or between 3000 and 4999. ${code} is neither.`, 'InvalidAccessError');
      }
    }
    if (reason !== undefined) {
      reason = String(reason);
      if (Buffer.byteLength(reason) > 123) {
        throw domException('The close reason must not be longer than 123 bytes of UTF-8', 'SyntaxError');
      }
    }
    if (this._readyState === CLOSING || this._readyState === CLOSED) return;
    if (this._readyState === CONNECTING) {
      // "Fail the WebSocket connection": error, then close with 1006.
      this._readyState = CLOSING;
      this._driver.destroy();
      queueMicrotask(() => {
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
