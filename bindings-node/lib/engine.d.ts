// Types of the JavaScript layer shared by `wsengine` (Node) and `wsengine-wasm`
// (lib/engine.js): the Connection class, its options and events, attach(). Each package gives
// `Payload` (a Buffer under Node, a Uint8Array in the wasm package's web build) and `Socket`
// in its own payload.d.ts beside this file.

import type { Payload, Socket } from './payload';
export type { Payload, Socket };

export type Role = 'client' | 'server';
export type State = 'connecting' | 'open' | 'closing' | 'closed';
export type Bytes = Uint8Array | ArrayBuffer | ArrayBufferView | string;

/** An HTTP header as the engine reports it. */
export interface Header {
  name: string;
  value: string;
}
/** Headers as the engine accepts them. */
export type HeadersInit =
  | Array<[string, string | number]>
  | Array<Header>
  | Record<string, string | number | Array<string | number>>;

/** permessage-deflate (RFC 7692) options; names as `wsengine::deflate::DeflateConfig`, camelCased. */
export interface DeflateOptions {
  serverNoContextTakeover?: boolean;
  clientNoContextTakeover?: boolean;
  serverMaxWindowBits?: number | null;
  clientMaxWindowBits?: number | null;
  compressionLevel?: number;
  threshold?: number;
  maxRatio?: number | null;
}

/**
 * Engine options: `wsengine::Config`, camelCased, same defaults; the names are the core's
 * configuration schema (`configOptions`) and the core checks every value. Timers:
 * milliseconds, `null` disables.
 */
export interface ConnectionOptions {
  /** Largest frame payload accepted (1009 beyond). Default 16 MiB. */
  maxFrameSize?: number;
  /** Largest message accepted, after decompression (1009 beyond). Default 16 MiB. */
  maxMessageSize?: number;
  /** Most frames in one message. Default 131072. */
  maxFragments?: number;
  /** Most bytes queued for output; sends beyond fail with `output_buffer_full`. Default 64 MiB. */
  maxOutputBuffer?: number;
  /** Default 1 MiB. */
  highWaterMark?: number;
  /** Default 64 KiB. */
  lowWaterMark?: number;
  /** Split outgoing messages into frames of at most this many bytes; `null` (default): one frame. */
  maxOutgoingFrameSize?: number | null;
  /** Default 8 KiB. */
  maxHeaderBytes?: number;
  /** Default 64. */
  maxHeaders?: number;
  /** Default 64 KiB. */
  maxRejectBody?: number;
  /** 'messages' (default), 'frames' (one chunk per frame) or `{ chunks: n }` (pieces of at most n bytes). */
  delivery?: 'messages' | 'frames' | { chunks: number };
  /** Default false. */
  ignoreUtf8Errors?: boolean;
  /** Default false. */
  surfacePings?: boolean;
  /** Default false. */
  surfacePongs?: boolean;
  /** Default true. */
  autoPong?: boolean;
  /** Default 10000. */
  handshakeTimeout?: number | null;
  /** Default off. */
  pingInterval?: number | null;
  /** Default 20000. */
  pongTimeout?: number | null;
  /** Default off. */
  idleTimeout?: number | null;
  /** Default off. */
  maxLifetime?: number | null;
  /** Default 5000. */
  closeTimeout?: number | null;
  /** Subprotocols: a server's preference list, or the list a client offers. */
  protocols?: string[];
  /** Server: accepted `Origin` values (others get 403). Default: all. */
  allowedOrigins?: string[] | null;
  /** permessage-deflate; off by default. `true` uses the engine's defaults. */
  deflate?: boolean | DeflateOptions | null;
}

export interface ClientOptions extends ConnectionOptions {
  origin?: string;
  headers?: HeadersInit;
  /** Tunnel through an HTTP proxy with CONNECT first (the caller connects to the proxy). */
  proxy?: boolean | { authorization?: string; headers?: HeadersInit };
}

export interface OpenOptions extends ConnectionOptions {
  protocol?: string;
  /** The negotiated Sec-WebSocket-Extensions value. */
  extensions?: string;
}

/** A JS Error from the engine. `kind` is the core's `Error::kind()`. */
export interface WsEngineError extends Error {
  kind: string;
  /** The close code sent (1002, 1007, 1009, 1011), or 1006 when none was sent. */
  closeCode: number;
  code: string;
}

export interface RequestFields {
  method: string;
  target: string;
  path: string;
  query: string | null;
  headers: Header[];
  host: string | null;
  origin: string | null;
  key: string | null;
  protocols: string[];
  extensions: string[];
}

export interface RequestEvent extends RequestFields {
  type: 'request';
}
export interface HttpRequestEvent extends RequestFields {
  type: 'httpRequest';
}
export interface OpenEvent {
  type: 'open';
  protocol: string | null;
  extensions: string | null;
  headers: Header[];
}
export interface ProxyConnectedEvent {
  type: 'proxyConnected';
}
export interface RejectedEvent {
  type: 'rejected';
  status: number;
  reason: string;
  headers: Header[];
  body: Payload;
  fromProxy: boolean;
}
export interface TextEvent {
  type: 'text';
  /** A string; the UTF-8 bytes when the connection's `textAsBytes` is set. */
  data: string | Payload;
}
export interface BinaryEvent {
  type: 'binary';
  /** A view of a buffer shared by the events of one call. */
  data: Payload;
}
export interface ChunkEvent {
  type: 'chunk';
  kind: 'text' | 'binary';
  /** Text pieces are strings, unless `ignoreUtf8Errors` is set (then raw bytes). */
  data: string | Payload;
  first: boolean;
  last: boolean;
}
export interface PingEvent {
  type: 'ping';
  data: Payload;
}
export interface PongEvent {
  type: 'pong';
  data: Payload;
}
export interface CloseReceivedEvent {
  type: 'closeReceived';
  code: number;
  reason: string;
}
export interface FailedEvent {
  type: 'failed';
  error: WsEngineError;
}
export interface CloseInfo {
  code: number;
  reason: string;
  wasClean: boolean;
  initiatedBy: 'local' | 'remote' | null;
  sentCode: number | null;
}
export interface ClosedEvent extends CloseInfo {
  type: 'closed';
}
export interface WritableEvent {
  type: 'writable';
}
export interface UnknownEvent {
  type: 'unknown';
  debug: string;
}

export type Event =
  | RequestEvent
  | HttpRequestEvent
  | OpenEvent
  | ProxyConnectedEvent
  | RejectedEvent
  | TextEvent
  | BinaryEvent
  | ChunkEvent
  | PingEvent
  | PongEvent
  | CloseReceivedEvent
  | FailedEvent
  | ClosedEvent
  | WritableEvent
  | UnknownEvent;

export interface AcceptOptions {
  /** Must be one the client offered; default: the first of `protocols` the client offered. */
  protocol?: string | null;
  headers?: HeadersInit;
}

/** The sans-IO engine: bytes and time in, events and bytes out. */
export declare class Connection {
  private constructor(handle: unknown);
  static readonly CONNECTING: 0;
  static readonly OPEN: 1;
  static readonly CLOSING: 2;
  static readonly CLOSED: 3;
  static server(options?: ConnectionOptions): Connection;
  static client(url: string | URL, options?: ClientOptions): Connection;
  static open(role: Role, options?: OpenOptions): Connection;

  /** Feeds bytes read from the transport (and the time, if given); returns every event at once. */
  receive(chunk: Uint8Array, nowMs?: number): Event[];
  /**
   * `receive` for a chunk nobody else reads (a socket's `data` Buffer): a message that lies
   * whole in `chunk` (one uncompressed frame) is unmasked there and handed out as a view of it
   * (binary, and text with `textAsBytes`; other text as a string), without a copy (Node; the
   * WebAssembly package, and a chunk over a SharedArrayBuffer, copy as `receive` does). The
   * rest of `chunk` is left as it came.
   */
  receiveInPlace(chunk: Uint8Array, nowMs?: number): Event[];
  receiveEof(nowMs?: number): Event[];
  handleTimeout(nowMs: number): Event[];
  /** Every event queued so far (after `accept()`, `reject()`, ...). */
  pollEvents(): Event[];
  nextTimeout(): number | null;
  /**
   * Every queued output byte (a Buffer under Node), or null. Under Node a small output is a
   * slice of a shared slab, as `Buffer.allocUnsafe`'s are: its `.buffer` is not its own.
   */
  takeOutput(): Payload | null;
  /** Whether output was pending after the last receive / handleTimeout / pollEvents. */
  readonly hadOutput: boolean;
  /**
   * Whether the engine had a deadline after the last receive / receiveEof / handleTimeout /
   * pollEvents (a close started since arms one: ask `nextTimeout()` then).
   */
  readonly hadDeadline: boolean;

  /** A text message: a string, or its UTF-8 bytes (validated; invalid UTF-8 throws `invalid_input`). */
  sendText(text: string | Bytes): void;
  sendBinary(data: Bytes): void;
  /**
   * A whole message whose payload the caller writes itself (no copy). A Buffer: only the
   * frame header was queued, and this is the output, taken now (it ends with that header);
   * write it, then `data`, unchanged. `null`: the engine queued the whole message (client
   * masking, deflate, a frame size limit, a waiting close frame; always in the wasm build).
   */
  sendZeroCopy(data: Uint8Array, text?: boolean): Uint8Array | null;
  send(data: string | Bytes): void;
  sendFragment(kind: 'text' | 'binary', data: Bytes, fin: boolean): void;
  ping(data?: Bytes): void;
  pong(data?: Bytes): void;
  close(code?: number | null, reason?: string): void;
  closeWith(code: number, reason?: string): void;
  accept(options?: AcceptOptions): void;
  reject(status: number, headers?: HeadersInit, body?: Bytes): void;
  respond(status: number, headers?: HeadersInit, body?: Bytes): void;

  /** Text messages as their UTF-8 bytes (validated; as `ws` delivers them) instead of strings. Default false. */
  textAsBytes: boolean;
  readonly state: State;
  readonly readyState: 0 | 1 | 2 | 3;
  readonly role: Role;
  readonly bufferedAmount: number;
  readonly isWritable: boolean;
  /** Whether a message may be sent now: open, or answering messages that arrived before the peer's close or a failure, while `takeOutput()` has not taken the engine's close frame. */
  readonly canSend: boolean;
  readonly protocol: string | null;
  readonly extensions: string | null;
  readonly closeInfo: CloseInfo | null;
}

/** The request head Node's http server parsed, as bytes for `Connection.server().receive()`. */
export declare function upgradeRequestBytes(req: {
  method?: string;
  url?: string;
  httpVersion: string;
  rawHeaders: string[];
}): Payload;

export interface Driver {
  /** Writes queued output and re-arms the timer; call after sends. */
  flush(): void;
  dispatch(events: Event[]): void;
  destroy(): void;
}

/**
 * Drives a connection over a socket: reads, writes, timers and end of input. The socket's
 * `data` Buffers go to `receiveInPlace` (messages are unmasked in them, as ws does): give it a
 * socket whose reads nobody else keeps (a `net` or `tls` socket).
 */
export declare function attach(
  conn: Connection,
  socket: Socket,
  onEvent: (event: Event) => void,
  options?: { now?: () => number; initialEvents?: Event[] }
): Driver;

