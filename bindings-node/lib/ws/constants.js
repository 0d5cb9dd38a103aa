'use strict';
// Values shared by the ws-compatible layer (lib/ws/): ready states, names and defaults as
// the `ws` package (8.x) exposes them.

/** WebSocket.readyState values (same numbers as the W3C API). */
const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;
const READY_STATES = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'];

/** ws's default maxPayload: 100 MiB. */
const DEFAULT_MAX_PAYLOAD = 100 * 1024 * 1024;

/** `binaryType` values ws accepts. */
const BINARY_TYPES = ['nodebuffer', 'arraybuffer', 'fragments', 'blob'];

const EMPTY_BUFFER = Buffer.alloc(0);

module.exports = { CONNECTING, OPEN, CLOSING, CLOSED, READY_STATES, DEFAULT_MAX_PAYLOAD, BINARY_TYPES, EMPTY_BUFFER };
