// Types of wsengine-wasm. The API (names, event shapes) is the Node binding's (`wsengine`);
// under Node payloads are Buffers, elsewhere Uint8Arrays (a Buffer is a Uint8Array).

export type Bytes = Uint8Array;
export type BytesLike = Uint8Array | ArrayBuffer | ArrayBufferView | string;

export interface Header {
  name: string;
  value: string;
}
export type HeadersInit = Header[] | [string, string][] | Record<string, string | string[]>;

export interface DeflateOptions {
  serverNoContextTakeover?: boolean;
  clientNoContextTakeover?: boolean;
  /** 8-15, or null for no value. */
  serverMaxWindowBits?: number | null;
  clientMaxWindowBits?: number | null;
  compressionLevel?: number;
  threshold?: number;
  maxRatio?: number | null;
}

export interface ConnectionOptions {
  maxFrameSize?: number;
  maxMessageSize?: number;
  maxFragments?: number;
  maxOutputBuffer?: number;
  highWaterMark?: number;
  lowWaterMark?: number;
  maxHeaderBytes?: number;
  maxHeaders?: number;
  maxRejectBody?: number;
  maxOutgoingFrameSize?: number | null;
  delivery?: 'messages' | 'frames' | { chunks: number };
  ignoreUtf8Errors?: boolean;
  surfacePings?: boolean;
  surfacePongs?: boolean;
  autoPong?: boolean;
  /** Milliseconds; null disables the timer. */
  handshakeTimeout?: number | null;
  pingInterval?: number | null;
  pongTimeout?: number | null;
  idleTimeout?: number | null;
  maxLifetime?: number | null;
  closeTimeout?: number | null;
  protocols?: string[];
  allowedOrigins?: string[];
  /** permessage-deflate (RFC 7692): off unless given. */
  deflate?: boolean | DeflateOptions;
}

export interface ClientOptions extends ConnectionOptions {
  origin?: string;
  headers?: HeadersInit;
  proxy?: boolean | { authorization?: string; headers?: HeadersInit };
}

export interface OpenOptions extends ConnectionOptions {
  protocol?: string;
  extensions?: string;
}

/** An error from the engine: `kind` is the core's `Error::kind()`, `closeCode` what was sent. */
export interface WsEngineError extends Error {
  kind: string;
  code: string;
  closeCode: number;
}

export interface CloseInfo {
  code: number;
  reason: string;
  wasClean: boolean;
  initiatedBy: 'local' | 'remote' | null;
  sentCode: number | null;
}

export interface RequestEvent {
  type: 'request' | 'httpRequest';
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

export type WsEvent =
  | RequestEvent
  | { type: 'open'; protocol: string | null; extensions: string | null; headers: Header[] }
  | { type: 'proxyConnected' }
  | { type: 'rejected'; status: number; reason: string; headers: Header[]; body: Bytes; fromProxy: boolean }
  | { type: 'text'; data: string }
  | { type: 'binary'; data: Bytes }
  | { type: 'chunk'; kind: 'text' | 'binary'; data: string | Bytes; first: boolean; last: boolean }
  | { type: 'ping'; data: Bytes }
  | { type: 'pong'; data: Bytes }
  | { type: 'closeReceived'; code: number; reason: string }
  | { type: 'failed'; error: WsEngineError }
  | ({ type: 'closed' } & CloseInfo)
  | { type: 'writable' };

export class Connection {
  private constructor();
  static readonly CONNECTING: 0;
  static readonly OPEN: 1;
  static readonly CLOSING: 2;
  static readonly CLOSED: 3;
  static server(options?: ConnectionOptions): Connection;
  static client(url: string | URL, options?: ClientOptions): Connection;
  static open(role: 'client' | 'server', options?: OpenOptions): Connection;
  receive(chunk: BytesLike, nowMs?: number): WsEvent[];
  receiveEof(nowMs?: number): WsEvent[];
  handleTimeout(nowMs: number): WsEvent[];
  pollEvents(): WsEvent[];
  nextTimeout(): number | null;
  takeOutput(): Bytes | null;
  readonly hadOutput: boolean;
  sendText(text: string): void;
  sendBinary(data: BytesLike): void;
  send(data: BytesLike): void;
  sendFragment(kind: 'text' | 'binary', data: BytesLike, fin: boolean): void;
  ping(data?: BytesLike): void;
  pong(data?: BytesLike): void;
  close(code?: number | null, reason?: string): void;
  closeWith(code: number, reason?: string): void;
  accept(options?: { protocol?: string | null; headers?: HeadersInit }): void;
  reject(status: number, headers?: HeadersInit, body?: BytesLike): void;
  respond(status: number, headers?: HeadersInit, body?: BytesLike): void;
  readonly state: 'connecting' | 'open' | 'closing' | 'closed';
  readonly readyState: 0 | 1 | 2 | 3;
  readonly role: 'client' | 'server';
  readonly bufferedAmount: number;
  readonly isWritable: boolean;
  readonly protocol: string | null;
  readonly extensions: string | null;
  readonly closeInfo: CloseInfo | null;
  /** Frees the connection's wasm memory now instead of at garbage collection. */
  free(): void;
}

export interface InspectorOptions extends ConnectionOptions {
  /** Who sent the captured stream. */
  direction?: 'client' | 'server';
  /** The stream starts with the HTTP request (client) or response (server). */
  handshake?: boolean;
  /** Negotiated Sec-WebSocket-Extensions (server streams with a handshake: from the 101). */
  extensions?: string;
}

export interface InspectorFrame {
  item: 'frame';
  offset: number;
  headerLength: number;
  fin: boolean;
  rsv1: boolean;
  rsv2: boolean;
  rsv3: boolean;
  opcode: number;
  opcodeName: string;
  mask: string | null;
  length: number;
  payloadHex: string;
  payloadText: string | null;
  truncated: boolean;
  events: object[];
}

export type InspectorItem = InspectorFrame | { item: 'handshake' | 'frameError' | 'trailing' | 'end' | 'events'; [k: string]: unknown };

export class Inspector {
  constructor(options?: InspectorOptions);
  feed(bytes: BytesLike): InspectorItem[];
  finish(): InspectorItem[];
  free(): void;
}

export function upgradeRequestBytes(req: { method?: string; url?: string; httpVersion: string; rawHeaders: string[] }): Bytes;

export interface Link {
  flush(): void;
  dispatch(events: WsEvent[]): void;
  destroy(): void;
}
export function attach(
  conn: Connection,
  socket: { on(ev: string, f: (...a: any[]) => void): unknown; write(b: Bytes): unknown; end(): unknown; destroy(): unknown; destroyed: boolean },
  onEvent: (ev: WsEvent) => void,
  options?: { now?: () => number; initialEvents?: WsEvent[] }
): Link;

export const deflateSupported: boolean;
