'use strict';
// The client side of the ws-shaped WebSocket: URL and subprotocol checks as ws makes them, the
// TCP / TLS connection, and the handshake events ('upgrade', 'open', 'unexpected-response').
// The handshake itself (request, Sec-WebSocket-Accept, extension negotiation) is the engine's.

const net = require('net');
const tls = require('tls');
const { Readable } = require('stream');
const { Connection } = require('../../index.js');
const { engineOptions } = require('./options.js');
const { OPEN } = require('./constants.js');

// Options of ws's client (and the engine's) that are not TLS / net options.
const NOT_TRANSPORT = new Set([
  'protocolVersion', 'followRedirects', 'maxRedirects', 'handshakeTimeout', 'perMessageDeflate',
  'maxPayload', 'skipUTF8Validation', 'autoPong', 'allowSynchronousEvents', 'headers', 'origin',
  'createConnection', 'finishRequest', 'generateMask', 'agent', 'auth', 'timeout', 'lookup',
  'maxOutputBuffer', 'maxFrameSize', 'maxMessageSize', 'maxFragments', 'highWaterMark',
  'lowWaterMark', 'maxOutgoingFrameSize', 'maxHeaderBytes', 'maxHeaders', 'pingInterval',
  'pongTimeout', 'idleTimeout', 'maxLifetime', 'closeTimeout', 'allowedOrigins',
]);

function headerObject(list) {
  const out = {};
  for (const { name, value } of list || []) {
    const k = name.toLowerCase();
    out[k] = out[k] === undefined ? value : `${out[k]}, ${value}`;
  }
  return out;
}

function rawHeaders(list) {
  const out = [];
  for (const { name, value } of list || []) out.push(name, value);
  return out;
}

function parseUrl(address) {
  let url;
  if (address instanceof URL) url = new URL(address.href);
  else {
    try {
      url = new URL(address);
    } catch {
      throw new SyntaxError(`Invalid URL: ${address}`);
    }
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new SyntaxError('The URL\'s protocol must be one of "ws:", "wss:", "http:", or "https:"');
  }
  if (url.hash) throw new SyntaxError('The URL contains a fragment identifier');
  return url;
}

function parseProtocols(protocols) {
  if (protocols === undefined || protocols === null) return [];
  const list = typeof protocols === 'string' ? [protocols] : Array.from(protocols);
  for (const p of list) {
    if (typeof p !== 'string') throw new SyntaxError('An invalid or duplicated subprotocol was specified');
  }
  return list;
}

/** Connects `ws` (a fresh WebSocket) to `address`; called by the WebSocket constructor. */
function initAsClient(ws, address, protocols, options) {
  if (protocols !== undefined && protocols !== null && typeof protocols === 'object' && !Array.isArray(protocols)) {
    options = protocols;
    protocols = undefined;
  }
  options = options || {};
  const url = parseUrl(address);
  const offered = parseProtocols(protocols);
  ws._url = url.href;
  ws._isServer = false;

  const engine = engineOptions(options, 'client');
  engine.protocols = offered;
  if (options.headers) engine.headers = options.headers;
  if (options.origin) engine.origin = options.origin;
  let conn;
  try {
    conn = Connection.client(url.href, engine);
    conn.textAsBytes = true; // text arrives as a Buffer, as ws delivers it
  } catch (err) {
    // The engine checks the subprotocols (RFC 6455 4.1: distinct tokens); ws's error for them.
    if (err.kind === 'invalid_input' && /subprotocol/.test(err.message)) {
      throw new SyntaxError('An invalid or duplicated subprotocol was specified');
    }
    throw err;
  }

  const secure = url.protocol === 'wss:';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port ? Number(url.port) : secure ? 443 : 80;
  const transport = { host, port };
  for (const k of Object.keys(options)) if (!NOT_TRANSPORT.has(k)) transport[k] = options[k];
  let socket;
  if (typeof options.createConnection === 'function') socket = options.createConnection({ ...transport, secure });
  else if (secure) {
    if (transport.servername === undefined && !net.isIP(host)) transport.servername = host;
    socket = tls.connect(transport);
  } else socket = net.connect(transport);

  ws._onHandshakeEvent = (ev) => onHandshakeEvent(ws, url, ev);
  ws._setSocket(conn, socket);
  ws._flush();
}

function onHandshakeEvent(ws, url, ev) {
  if (ev.type === 'open') {
    ws._readyState = OPEN;
    ws._protocol = ev.protocol || '';
    ws._extensions = ev.extensions || '';
    const res = {
      statusCode: 101,
      statusMessage: 'Switching Protocols',
      headers: headerObject(ev.headers),
      rawHeaders: rawHeaders(ev.headers),
    };
    ws.emit('upgrade', res);
    ws.emit('open');
  } else if (ev.type === 'rejected') {
    if (ws.listenerCount('unexpected-response') > 0) {
      const res = Readable.from(ev.body && ev.body.length ? [Buffer.from(ev.body)] : []);
      res.statusCode = ev.status;
      res.statusMessage = ev.reason;
      res.headers = headerObject(ev.headers);
      res.rawHeaders = rawHeaders(ev.headers);
      const req = { method: 'GET', host: url.host, path: url.pathname + url.search, protocol: url.protocol };
      ws.emit('unexpected-response', req, res);
    } else {
      ws._emitError(new Error(`Unexpected server response: ${ev.status}`));
    }
  }
}

module.exports = { initAsClient, parseUrl, parseProtocols };
