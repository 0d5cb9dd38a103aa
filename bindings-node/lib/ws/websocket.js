'use strict';
// The ws-shaped `WebSocket` (the `ws` package's 8.x API): one class for both roles. A server
// socket is made by WebSocketServer (lib/ws/server.js) around an accepted engine `Connection`;
// a client socket by `new WebSocket(url, protocols, options)` (handshake in lib/ws/client.js).
//
// This file is the driver between one engine `Connection` and one Node stream socket:
// - reads: every chunk goes to `receive()`, every event is delivered (synchronously, as ws's
//   listeners run), THEN the output is taken and written once. Answers sent by handlers for
//   messages that arrived with a close frame therefore precede our close frame (the engine's
//   delivery contract).
// - writes: sends only queue in the engine; one flush per tick (process.nextTick) or per read
//   writes everything queued in one `socket.write`. While the socket's buffer is over its
//   high-water mark nothing more is taken from the engine, so a peer that does not read leaves
//   at most `maxOutputBuffer` (engine) + one write queued; sends beyond that fail.
// - timers: one setTimeout per connection, armed from `nextTimeout()`.
// - handler exceptions propagate out of the socket's 'data' handler, i.e. become uncaught
//   exceptions exactly as with ws; the events after the throwing one are still delivered.

const { EventEmitter } = require('events');
const { CONNECTING, OPEN, CLOSING, CLOSED, READY_STATES, BINARY_TYPES, EMPTY_BUFFER } = require('./constants.js');
const { addEventTargetApi } = require('./event-target.js');

const now = () => performance.now();

// Most bytes handed to the socket and not yet sent before output stays in the engine (whose
// own bound, maxOutputBuffer, then refuses sends).
const WRITE_BOUND = 1 << 20;

// Error kinds the engine raises when the peer merely went away or did not finish the closing
// handshake in time: ws reports those as a close (1006) without an 'error' event.
const QUIET_KINDS = new Set(['unexpected_eof', 'close_timeout']);

function notOpenError(state) {
  return new Error(`WebSocket is not open: readyState ${state} (${READY_STATES[state]})`);
}

function toBuffer(data) {
  if (Buffer.isBuffer(data)) return data;
  if (typeof data === 'string') return Buffer.from(data);
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (data === undefined || data === null) return EMPTY_BUFFER;
  return Buffer.from(String(data));
}

function byteLength(data) {
  if (typeof data === 'string') return Buffer.byteLength(data);
  if (data && typeof data.byteLength === 'number') return data.byteLength;
  return 0;
}

// Queuing several large messages in the engine before taking its output cost about twice as
// much per message as taking each one's output at once; small messages are cheaper batched.
const TAKE_EARLY = 8 * 1024;

// Payloads from this size are written from the caller's Buffer (Connection.sendZeroCopy):
// copying them into the engine's output and that into a Buffer cost more than one more
// chunk in the socket's writev.
const ZERO_COPY_MIN = 16 * 1024;

function flushTick(ws) {
  ws._flushQueued = false;
  ws._flush();
}

function timerFired(ws) {
  ws._timer = null;
  ws._timerAt = Infinity;
  if (ws._conn === null) return;
  ws._dispatch(ws._conn.handleTimeout(now()));
}

/** A WebSocket with the API of `ws`' WebSocket class (8.x). */
class WebSocket extends EventEmitter {
  /**
   * Client: `new WebSocket(url, [protocols], [options])` as in ws (options: ws's client options
   * plus TLS options for `tls.connect`, plus engine options by name). Servers create sockets
   * through WebSocketServer; user code never passes `null` as url.
   */
  constructor(url, protocols, options) {
    super();
    this._readyState = CONNECTING;
    this._conn = null;
    this._socket = null;
    this._protocol = '';
    this._extensions = '';
    this._binaryType = 'nodebuffer';
    this._isServer = true;
    this._url = undefined;
    this._paused = false;
    this._inDispatch = false;
    this._flushQueued = false;
    this._drainWait = false;
    this._callbacks = null;
    this._pending = null; // output taken early (after large sends), written at the next flush
    this._pendingBytes = 0;
    this._timer = null;
    this._timerAt = Infinity;
    this._fragmentKind = null;
    this._bufferedAfterClose = 0;
    this._engineClosed = false;
    this._socketClosed = false;
    this._closeEmitted = false;
    this._errorEmitted = false;
    this._closeCode = 1006;
    this._closeReason = EMPTY_BUFFER;
    if (url !== null) {
      this._isServer = false;
      require('./client.js').initAsClient(this, url, protocols, options);
    }
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
  get url() {
    return this._url;
  }
  get isPaused() {
    return this._paused;
  }
  get binaryType() {
    return this._binaryType;
  }
  set binaryType(type) {
    if (!BINARY_TYPES.includes(type)) return;
    this._binaryType = type;
  }

  /** Bytes queued and not yet handed to the OS: the engine's queue plus the socket's buffer. */
  get bufferedAmount() {
    if (this._conn === null || this._socket === null) return this._bufferedAfterClose;
    return this._conn.bufferedAmount + this._pendingBytes + this._socket.writableLength + this._bufferedAfterClose;
  }

  // ---- driver ----

  /**
   * Starts driving `conn` over `socket` (server sockets once accepted; clients at once).
   * `head`: bytes already read past the HTTP request.
   */
  _setSocket(conn, socket, head) {
    this._conn = conn;
    this._socket = socket;
    if (socket.setNoDelay) socket.setNoDelay(true);
    if (socket.setTimeout) socket.setTimeout(0);
    if (head && head.length > 0) socket.unshift(head);
    // As ws does, messages are unmasked in the socket's read Buffer and handed out as views of it.
    socket.on('data', (chunk) => this._dispatch(this._conn.receiveInPlace(chunk, now())));
    socket.on('end', () => this._onEof());
    socket.on('close', () => this._onSocketClose());
    socket.on('error', (err) => this._onSocketError(err));
    socket.on('drain', () => {
      this._drainWait = false;
      this._flush();
    });
    this._arm();
  }

  /** Delivers events in order, then writes all output at once. */
  _dispatch(events) {
    this._inDispatch = true;
    let i = 0;
    try {
      for (; i < events.length; i++) this._handle(events[i]);
    } catch (err) {
      // Keep the connection consistent, then let the error escape as ws's would.
      const rest = events.slice(i + 1);
      if (rest.length > 0) process.nextTick(() => this._dispatch(rest));
      throw err;
    } finally {
      this._inDispatch = false;
      this._flush();
      // A close started by a handler armed its own deadline (close() calls _arm).
      if (this._conn !== null && this._conn.hadDeadline) this._arm();
    }
  }

  _handle(ev) {
    switch (ev.type) {
      case 'text': // a Buffer: the engine connection was made with textAsBytes
        this.emit('message', ev.data, false);
        break;
      case 'binary':
        this.emit('message', this._binaryData(ev.data), true);
        break;
      case 'ping':
        this.emit('ping', ev.data);
        break;
      case 'pong':
        this.emit('pong', ev.data);
        break;
      case 'closeReceived':
        if (this._readyState === OPEN) this._readyState = CLOSING;
        if (this._socket) this._socket.resume();
        break;
      case 'failed':
        if (this._readyState === OPEN) this._readyState = CLOSING;
        if (!QUIET_KINDS.has(ev.error.kind)) this._emitError(ev.error);
        break;
      case 'closed':
        this._closed(ev.code, ev.reason);
        break;
      case 'open':
      case 'rejected':
      case 'proxyConnected':
        if (this._onHandshakeEvent) this._onHandshakeEvent(ev);
        break;
      default:
        break;
    }
  }

  _binaryData(buf) {
    switch (this._binaryType) {
      case 'arraybuffer':
        return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
      case 'fragments':
        return [buf];
      case 'blob':
        return new Blob([buf]);
      default:
        return buf;
    }
  }

  _emitError(err) {
    if (this._errorEmitted) return;
    this._errorEmitted = true;
    this.emit('error', err);
  }

  /** Writes what the engine queued, unless the socket is over its high-water mark. */
  _flush() {
    if (this._drainWait || this._conn === null) return;
    const socket = this._socket;
    let out = this._conn.takeOutput();
    const pending = this._pending;
    if (pending !== null) {
      this._pending = null;
      this._pendingBytes = 0;
      if (out !== null) pending.push(out);
      out = pending.pop();
    }
    const cbs = this._callbacks;
    if (out === null) {
      if (cbs !== null && (this._conn.bufferedAmount === 0 || socket.destroyed)) {
        this._callbacks = null;
        for (const cb of cbs) process.nextTick(cb, socket.destroyed ? notOpenError(this._readyState) : undefined);
      }
      return;
    }
    if (socket.destroyed) {
      this._callbacks = null;
      if (cbs !== null) for (const cb of cbs) process.nextTick(cb, notOpenError(this._readyState));
      return;
    }
    this._callbacks = null;
    if (pending !== null) {
      socket.cork();
      for (const chunk of pending) socket.write(chunk);
    }
    const ok =
      cbs === null
        ? socket.write(out)
        : socket.write(out, (err) => {
            for (const cb of cbs) cb(err || undefined);
          });
    if (pending !== null) socket.uncork(); // one writev for all of it
    // Node's own high-water mark (16 KiB) is below one batch of large messages; waiting for
    // 'drain' at every batch costs a turn of the loop. Hold back output only past WRITE_BOUND.
    if (!ok && socket.writableLength >= WRITE_BOUND) this._drainWait = true;
  }

  _scheduleFlush() {
    if (this._inDispatch || this._flushQueued) return;
    this._flushQueued = true;
    process.nextTick(flushTick, this);
  }

  /** Arms the connection's timer for the engine's next deadline, if earlier than the armed one. */
  _arm() {
    if (this._conn === null) return;
    const t = this._conn.nextTimeout();
    if (t === null || t >= this._timerAt) return;
    if (this._timer !== null) clearTimeout(this._timer);
    this._timerAt = t;
    this._timer = setTimeout(timerFired, Math.max(0, Math.ceil(t - now())), this);
  }

  _onEof() {
    if (this._conn !== null && !this._engineClosed) this._dispatch(this._conn.receiveEof(now()));
  }

  _onSocketClose() {
    this._socketClosed = true;
    try {
      this._onEof();
    } finally {
      if (!this._engineClosed) this._closed(1006, '');
      this._emitClose();
    }
  }

  _onSocketError(err) {
    // A client still connecting reports connection errors (ECONNREFUSED, TLS); after that,
    // as ws, a transport error only ends in a 1006 close.
    if (this._readyState === CONNECTING) this._emitError(err);
    if (this._readyState === OPEN) this._readyState = CLOSING;
    this._socket.destroy();
  }

  /** The engine reports the connection closed: end the socket; 'close' follows the socket's. */
  _closed(code, reason) {
    if (this._engineClosed) return;
    this._engineClosed = true;
    if (this._readyState === OPEN) this._readyState = CLOSING;
    this._closeCode = code;
    this._closeReason = typeof reason === 'string' ? (reason.length ? Buffer.from(reason) : EMPTY_BUFFER) : reason;
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
    const socket = this._socket;
    if (socket !== null) {
      this._drainWait = false;
      this._flush();
      this._bufferedAfterClose += this._conn.bufferedAmount;
      if (!socket.destroyed) {
        // RFC 6455 7.1.1: the server closes the TCP connection first; a client ends its side.
        socket.end();
        socket.setTimeout(5000, () => socket.destroy());
      }
      socket.resume();
    }
    if (this._callbacks !== null) {
      const cbs = this._callbacks;
      this._callbacks = null;
      for (const cb of cbs) process.nextTick(cb, notOpenError(CLOSED));
    }
    if (socket === null || this._socketClosed) process.nextTick(() => this._emitClose());
  }

  /** Emits 'close' (code, reason Buffer) once, after the socket has closed, as ws does. */
  _emitClose() {
    if (this._closeEmitted) return;
    this._closeEmitted = true;
    this._readyState = CLOSED;
    this.emit('close', this._closeCode, this._closeReason);
  }

  // ---- the ws API ----

  /**
   * Sends `data` (string, Buffer, TypedArray, DataView, ArrayBuffer, number). Options:
   * `binary` (default: not a string), `fin` (false sends a fragment), `compress` and `mask`
   * (accepted; the engine applies its deflate threshold and masks client frames itself).
   * `cb(err)` runs once the data is written to the socket, or with the error.
   */
  send(data, options, cb) {
    if (typeof options === 'function') {
      cb = options;
      options = undefined;
    }
    if (this._readyState === CONNECTING) throw new Error('WebSocket is not open: readyState 0 (CONNECTING)');
    if (typeof data === 'number') data = data.toString();
    else if (typeof Blob === 'function' && data instanceof Blob) {
      throw new TypeError('wsengine: send a Blob as `Buffer.from(await blob.arrayBuffer())`');
    }
    if (this._readyState !== OPEN) {
      this._sendAfterClose(data, cb);
      return;
    }
    const conn = this._conn;
    let taken = false; // the engine's output is already held
    const binary = options !== undefined && options.binary !== undefined ? !!options.binary : typeof data !== 'string';
    const fin = options === undefined || options.fin === undefined ? true : !!options.fin;
    try {
      if (fin && this._fragmentKind === null) {
        if (typeof data === 'string') {
          if (binary) conn.sendBinary(Buffer.from(data));
          else conn.sendText(data);
        } else {
          const bytes = data instanceof Uint8Array ? data : toBuffer(data);
          if (bytes.byteLength >= ZERO_COPY_MIN && this._canHold()) {
            // A Buffer: only the header was queued, and this is the output taken with it; the
            // caller's Buffer follows it as it is, as ws writes it (the engine validated text;
            // the Buffer must not change until written). null: the engine queued the whole
            // message itself.
            const head = conn.sendZeroCopy(bytes, !binary);
            if (head !== null) {
              this._hold(head);
              this._hold(bytes);
              taken = true;
            }
          } else if (binary) {
            conn.sendBinary(bytes);
          } else {
            conn.sendText(bytes); // UTF-8 bytes, validated
          }
        }
      } else {
        if (this._fragmentKind === null) this._fragmentKind = binary ? 'binary' : 'text';
        conn.sendFragment(this._fragmentKind, toBuffer(data), fin);
        if (fin) this._fragmentKind = null;
      }
    } catch (err) {
      // e.g. output_buffer_full (the peer does not read): the send is refused.
      if (cb) process.nextTick(cb, err);
      else process.nextTick(() => this._emitSendError(err));
      return;
    }
    if (cb) {
      if (this._callbacks === null) this._callbacks = [cb];
      else this._callbacks.push(cb);
    }
    // A string's length in UTF-16 units is at most its UTF-8 length: enough for this
    // heuristic, without the extra pass over the text that Buffer.byteLength makes.
    if (!taken && (typeof data === 'string' ? data.length : byteLength(data)) >= TAKE_EARLY) this._takeEarly();
    this._scheduleFlush();
  }

  /**
   * Takes the engine's output now (written at the next flush), unless that could put our close
   * frame before answers still to come (only while open) or the socket is over its bound.
   */
  _takeEarly() {
    if (!this._canHold()) return;
    if (this._conn.state !== 'open') return;
    const out = this._conn.takeOutput();
    if (out !== null) this._hold(out);
  }

  /** Whether output may be held outside the engine (written at the next flush). */
  _canHold() {
    return !this._drainWait && this._pendingBytes + this._socket.writableLength < WRITE_BOUND;
  }

  _hold(chunk) {
    if (this._pending === null) this._pending = [chunk];
    else this._pending.push(chunk);
    this._pendingBytes += chunk.length;
  }

  /**
   * A refused send without a callback: an 'error' event if someone listens; otherwise the
   * connection is closed with 1011 rather than the process being killed by an unhandled error
   * (a slow peer must not take a server down).
   */
  _emitSendError(err) {
    if (this.listenerCount('error') > 0) this.emit('error', err);
    else if (this._readyState === OPEN) {
      this._readyState = CLOSING;
      try {
        this._conn.closeWith(1011, 'send refused');
      } catch {
        this._socket.destroy(); // not even a close frame fits: end it at once
        return;
      }
      this._scheduleFlush();
      this._arm();
    }
  }

  _sendAfterClose(data, cb) {
    this._bufferedAfterClose += byteLength(data);
    if (cb) process.nextTick(cb, notOpenError(this._readyState));
  }

  _control(kind, data, mask, cb) {
    if (typeof data === 'function') {
      cb = data;
      data = mask = undefined;
    } else if (typeof mask === 'function') {
      cb = mask;
      mask = undefined;
    }
    if (this._readyState === CONNECTING) throw new Error('WebSocket is not open: readyState 0 (CONNECTING)');
    if (typeof data === 'number') data = data.toString();
    if (this._readyState !== OPEN) {
      this._sendAfterClose(data, cb);
      return;
    }
    const buf = toBuffer(data);
    try {
      if (kind === 'ping') this._conn.ping(buf);
      else this._conn.pong(buf);
    } catch (err) {
      // The engine's rule (RFC 6455 5.5: control payloads are at most 125 bytes), ws's error type.
      if (err.kind === 'control_payload_too_long') throw new RangeError('The data size must not be greater than 125 bytes');
      throw err;
    }
    if (cb) {
      if (this._callbacks === null) this._callbacks = [cb];
      else this._callbacks.push(cb);
    }
    this._scheduleFlush();
  }

  /** Sends a ping (payload at most 125 bytes). */
  ping(data, mask, cb) {
    this._control('ping', data, mask, cb);
  }

  /** Sends an unsolicited pong (payload at most 125 bytes). */
  pong(data, mask, cb) {
    this._control('pong', data, mask, cb);
  }

  /**
   * Starts the closing handshake. `code`: any code valid on the wire (RFC 6455 7.4), else a
   * TypeError; `reason`: at most 123 bytes of UTF-8, else a RangeError (the engine checks both).
   */
  close(code, reason) {
    if (this._readyState === CLOSED) return;
    if (this._readyState === CONNECTING) {
      this._abortHandshake('WebSocket was closed before the connection was established');
      return;
    }
    if (this._readyState === CLOSING) return;
    const r = reason === undefined ? '' : typeof reason === 'string' ? reason : toBuffer(reason).toString();
    try {
      if (code === undefined) this._conn.close();
      else this._conn.closeWith(code, r);
    } catch (err) {
      if (err.kind === 'reason_too_long') throw new RangeError('The message must not be greater than 123 bytes');
      if (err.kind === 'invalid_input' || err.kind === 'invalid_close_code' || err.kind === 'invalid_close_code_for_app') {
        throw new TypeError('First argument must be a valid error code number');
      }
      if (err.kind !== 'invalid_state') throw err;
    }
    if (this._readyState === OPEN) this._readyState = CLOSING;
    this._scheduleFlush();
    this._arm();
  }

  /** Destroys the connection at once (close event with 1006). */
  terminate() {
    if (this._readyState === CLOSED) return;
    if (this._readyState === CONNECTING) {
      this._abortHandshake('WebSocket was closed before the connection was established');
      return;
    }
    this._readyState = CLOSING;
    this._socket.destroy();
  }

  /** Stops reading from the socket (events of data already read may still be emitted). */
  pause() {
    if (this._readyState === CONNECTING || this._readyState === CLOSED) return;
    this._paused = true;
    this._socket.pause();
  }

  /** Resumes reading from the socket. */
  resume() {
    if (this._readyState === CONNECTING || this._readyState === CLOSED) return;
    this._paused = false;
    this._socket.resume();
  }

  _abortHandshake(message) {
    this._readyState = CLOSING;
    const err = new Error(message);
    if (this._socket) this._socket.destroy();
    process.nextTick(() => {
      this._emitError(err);
      if (!this._socket) this._closed(1006, '');
    });
  }
}

for (const [i, name] of READY_STATES.entries()) {
  Object.defineProperty(WebSocket, name, { enumerable: true, value: i });
  Object.defineProperty(WebSocket.prototype, name, { enumerable: true, value: i });
}
addEventTargetApi(WebSocket);

module.exports = { WebSocket, CONNECTING, OPEN, CLOSING, CLOSED };
