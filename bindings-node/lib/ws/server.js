'use strict';
// WebSocketServer with the API of ws's (8.x): its own http server (`port`), an existing one
// (`server`), or none (`noServer`, with `handleUpgrade`). The engine validates each upgrade
// request; this file runs the user's hooks (shouldHandle, verifyClient, handleProtocols, the
// 'headers' event) and hands accepted connections to the ws-shaped WebSocket.

const { EventEmitter } = require('events');
const http = require('http');
const crypto = require('crypto');
const { Connection, upgradeRequestBytes } = require('../../index.js');
const { WebSocket } = require('./websocket.js');
const { engineOptions } = require('./options.js');

const RUNNING = 0;
const CLOSING = 1;
const CLOSED = 2;
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'; // RFC 6455 1.3

const kWebSocket = Symbol('wsengine.websocket');

function socketOnError() {
  this.destroy();
}

/** Answers an upgrade request with an HTTP error and closes the socket (as ws does). */
function abortHandshake(socket, code, message, headers) {
  message = message || http.STATUS_CODES[code];
  const all = {
    Connection: 'close',
    'Content-Type': 'text/html',
    'Content-Length': Buffer.byteLength(message),
    ...headers,
  };
  socket.once('finish', socket.destroy);
  socket.end(
    `HTTP/1.1 ${code} ${http.STATUS_CODES[code]}\r\n` +
      Object.keys(all)
        .map((h) => `${h}: ${all[h]}`)
        .join('\r\n') +
      '\r\n\r\n' +
      message
  );
}

function emitClose(server) {
  server._state = CLOSED;
  server.emit('close');
}

/** A WebSocket server with the API of ws's WebSocketServer. */
class WebSocketServer extends EventEmitter {
  /**
   * Options as ws's: `port`, `host`, `backlog`, `server`, `noServer`, `path`, `perMessageDeflate`
   * (default false), `maxPayload` (default 100 MiB), `clientTracking` (default true),
   * `verifyClient`, `handleProtocols`, `autoPong`, `WebSocket`; plus engine options by name
   * (e.g. `maxOutputBuffer`, the most bytes queued for a peer that does not read).
   */
  constructor(options, callback) {
    super();
    options = {
      maxPayload: 100 * 1024 * 1024,
      perMessageDeflate: false,
      handleProtocols: null,
      clientTracking: true,
      verifyClient: null,
      noServer: false,
      backlog: null,
      server: null,
      host: null,
      path: null,
      port: null,
      WebSocket,
      ...options,
    };
    if (
      (options.port == null && !options.server && !options.noServer) ||
      (options.port != null && (options.server || options.noServer)) ||
      (options.server && options.noServer)
    ) {
      throw new TypeError('One and only one of the "port", "server", or "noServer" options must be specified');
    }
    this.options = options;
    this._engineOptions = engineOptions(options, 'server');
    if (options.port != null) {
      this._server = http.createServer((req, res) => {
        const body = http.STATUS_CODES[426];
        res.writeHead(426, { 'Content-Length': body.length, 'Content-Type': 'text/plain' });
        res.end(body);
      });
      this._server.listen(options.port, options.host, options.backlog, callback);
    } else if (options.server) {
      this._server = options.server;
    }
    if (this._server) {
      const emitConnection = this.emit.bind(this, 'connection');
      this._removeListeners = addListeners(this._server, {
        listening: this.emit.bind(this, 'listening'),
        error: this.emit.bind(this, 'error'),
        upgrade: (req, socket, head) => this.handleUpgrade(req, socket, head, emitConnection),
      });
    }
    if (options.clientTracking) {
      this.clients = new Set();
      this._shouldEmitClose = false;
    }
    this._state = RUNNING;
  }

  /** The bound address of the server's http server (not with `noServer`). */
  address() {
    if (this.options.noServer) throw new Error('The server is operating in "noServer" mode');
    if (!this._server) return null;
    return this._server.address();
  }

  /**
   * Stops accepting connections; closes the http server it created itself. Open connections are
   * not closed (as ws 8). 'close' is emitted once they are all gone (with clientTracking).
   */
  close(cb) {
    if (this._state === CLOSED) {
      if (cb) this.once('close', () => cb(new Error('The server is not running')));
      process.nextTick(emitClose, this);
      return;
    }
    if (cb) this.once('close', cb);
    if (this._state === CLOSING) return;
    this._state = CLOSING;
    if (this.options.noServer || this.options.server) {
      if (this._server) {
        this._removeListeners();
        this._removeListeners = this._server = null;
      }
      if (this.clients && this.clients.size) this._shouldEmitClose = true;
      else process.nextTick(emitClose, this);
    } else {
      const server = this._server;
      this._removeListeners();
      this._removeListeners = this._server = null;
      server.close(() => emitClose(this));
    }
  }

  /** Whether this server handles `req` (the `path` option by default). */
  shouldHandle(req) {
    if (this.options.path) {
      const index = req.url.indexOf('?');
      const pathname = index !== -1 ? req.url.slice(0, index) : req.url;
      if (pathname !== this.options.path) return false;
    }
    return true;
  }

  /**
   * Completes (or refuses) a WebSocket upgrade of `req` on `socket`; `cb(ws, req)` receives
   * the open connection.
   */
  handleUpgrade(req, socket, head, cb) {
    socket.on('error', socketOnError);
    const conn = Connection.server(this._engineOptions);
    conn.textAsBytes = true; // text arrives as a Buffer, as ws delivers it (even with the request)
    let events;
    try {
      events = conn.receive(upgradeRequestBytes(req), performance.now());
    } catch (err) {
      abortHandshake(socket, 400, err.message);
      return;
    }
    const request = events.find((e) => e.type === 'request');
    if (request === undefined) {
      // The engine refused the request (and queued its 400/405/426 answer).
      const failed = events.find((e) => e.type === 'failed');
      const message = failed ? failed.error.message : 'Invalid WebSocket upgrade request';
      if (this.listenerCount('wsClientError') > 0) {
        const err = new Error(message);
        this.emit('wsClientError', err, socket, req);
        return;
      }
      const out = conn.takeOutput();
      if (out !== null) {
        socket.once('finish', socket.destroy);
        socket.end(out);
      } else abortHandshake(socket, 400, message);
      return;
    }
    if (!this.shouldHandle(req)) {
      abortHandshake(socket, 400);
      return;
    }
    const verify = this.options.verifyClient;
    if (verify) {
      const info = {
        origin: req.headers[`${+req.headers['sec-websocket-version'] === 8 ? 'sec-websocket-origin' : 'origin'}`],
        secure: !!(req.socket.authorized || req.socket.encrypted),
        req,
      };
      if (verify.length === 2) {
        verify(info, (verified, code, message, headers) => {
          if (!verified) return abortHandshake(socket, code || 401, message, headers);
          this.completeUpgrade(conn, request, req, socket, head, cb);
        });
        return;
      }
      if (!verify(info)) return abortHandshake(socket, 401);
    }
    this.completeUpgrade(conn, request, req, socket, head, cb);
  }

  /** Accepts the upgrade: subprotocol, 'headers' event, then the WebSocket. */
  completeUpgrade(conn, request, req, socket, head, cb) {
    if (!socket.readable || !socket.writable) return socket.destroy();
    if (socket[kWebSocket]) {
      throw new Error(
        'server.handleUpgrade() was called more than once with the same socket, possibly due to a misconfiguration'
      );
    }
    if (this._state > RUNNING) return abortHandshake(socket, 503);

    const headers = [
      'HTTP/1.1 101 Switching Protocols',
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Accept: ${crypto.createHash('sha1').update(request.key + GUID).digest('base64')}`,
    ];
    let protocol;
    const offered = request.protocols;
    if (offered.length) {
      protocol = this.options.handleProtocols ? this.options.handleProtocols(new Set(offered), req) : offered[0];
      if (protocol) headers.push(`Sec-WebSocket-Protocol: ${protocol}`);
      else protocol = undefined;
    }
    const base = headers.length;
    this.emit('headers', headers, req);
    const extra = [];
    for (let i = base; i < headers.length; i++) {
      const line = String(headers[i]);
      const colon = line.indexOf(':');
      if (colon > 0) extra.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
    }
    try {
      conn.accept({ protocol, headers: extra });
    } catch (err) {
      abortHandshake(socket, 500, err.message);
      return;
    }
    socket.removeListener('error', socketOnError);

    const ws = new this.options.WebSocket(null, undefined, this.options);
    socket[kWebSocket] = ws;
    for (const ev of conn.pollEvents()) {
      if (ev.type === 'open') {
        ws._protocol = ev.protocol || '';
        ws._extensions = ev.extensions || '';
      }
    }
    ws._readyState = 1;
    ws._setSocket(conn, socket, head);
    if (this.clients) {
      this.clients.add(ws);
      ws.on('close', () => {
        this.clients.delete(ws);
        if (this._shouldEmitClose && !this.clients.size) process.nextTick(emitClose, this);
      });
    }
    ws._inDispatch = true;
    try {
      cb(ws, req);
    } finally {
      ws._inDispatch = false;
      ws._flush();
    }
  }
}

function addListeners(server, map) {
  for (const event of Object.keys(map)) server.on(event, map[event]);
  return function removeListeners() {
    for (const event of Object.keys(map)) server.removeListener(event, map[event]);
  };
}

module.exports = { WebSocketServer };
