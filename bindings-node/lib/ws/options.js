'use strict';
// Translates `ws` options (perMessageDeflate, maxPayload, autoPong, handshakeTimeout, ...)
// into the engine's `Connection` options (index.d.ts ConnectionOptions). Engine options given
// by their own names (e.g. `maxOutputBuffer`, `closeTimeout`) pass through unchanged.

const { DEFAULT_MAX_PAYLOAD } = require('./constants.js');
const { configOptions } = require('../../index.js');

// Engine options a user may set directly on a WebSocketServer / WebSocket: every option of the
// engine's schema except those this API sets from ws's own options below.
const WS_OWNED = new Set(['delivery', 'surfacePings', 'surfacePongs', 'autoPong', 'handshakeTimeout', 'protocols', 'deflate', 'ignoreUtf8Errors']);
const PASS_THROUGH = configOptions.filter((k) => !WS_OWNED.has(k));

// ws: maxPayload 0 means no limit. The engine takes sizes up to 2^53; 2^48 is "unlimited" here.
const UNLIMITED = 2 ** 48;

/** permessage-deflate: ws's option object → the engine's `deflate` option. */
function deflateOption(pmd) {
  if (!pmd) return false;
  if (pmd === true) return true;
  const d = {};
  if (pmd.serverNoContextTakeover !== undefined) d.serverNoContextTakeover = !!pmd.serverNoContextTakeover;
  if (pmd.clientNoContextTakeover !== undefined) d.clientNoContextTakeover = !!pmd.clientNoContextTakeover;
  // ws: `true` means "offer/accept the parameter with no value"; the engine's default does that.
  if (typeof pmd.serverMaxWindowBits === 'number') d.serverMaxWindowBits = pmd.serverMaxWindowBits;
  if (typeof pmd.clientMaxWindowBits === 'number') d.clientMaxWindowBits = pmd.clientMaxWindowBits;
  const level = pmd.zlibDeflateOptions && pmd.zlibDeflateOptions.level;
  if (typeof level === 'number' && level >= 0) d.compressionLevel = level;
  // ws compresses messages of at least `threshold` bytes (default 1024).
  d.threshold = typeof pmd.threshold === 'number' ? pmd.threshold : 1024;
  return d;
}

/**
 * Engine options for one connection. `role` is 'server' or 'client'. ws defaults:
 * perMessageDeflate off on servers, on for clients; maxPayload 100 MiB; no handshake
 * timeout unless `handshakeTimeout` is given; pings and pongs surfaced as events.
 */
function engineOptions(options, role) {
  const o = options || {};
  const max = o.maxPayload === undefined ? DEFAULT_MAX_PAYLOAD : o.maxPayload === 0 ? UNLIMITED : o.maxPayload;
  const pmd = o.perMessageDeflate === undefined ? role === 'client' : o.perMessageDeflate;
  const out = {
    maxMessageSize: max,
    maxFrameSize: max,
    surfacePings: true,
    surfacePongs: true,
    autoPong: o.autoPong === undefined ? true : !!o.autoPong,
    handshakeTimeout: typeof o.handshakeTimeout === 'number' ? o.handshakeTimeout : null,
    deflate: deflateOption(pmd),
  };
  if (o.skipUTF8Validation) out.ignoreUtf8Errors = true;
  for (const k of PASS_THROUGH) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

module.exports = { engineOptions };
