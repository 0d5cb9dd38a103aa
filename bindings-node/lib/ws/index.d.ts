/// <reference types="node" />
// Types of the ws-compatible API (`ws` 8's WebSocket, WebSocketServer, createWebSocketStream).

import type { EventEmitter } from 'events';
import type { IncomingMessage, Server as HttpServer } from 'http';
import type { Server as HttpsServer } from 'https';
import type { Duplex, DuplexOptions } from 'stream';
import type { ConnectionOptions as EngineOptions } from '../../index';

export type Data = Buffer | ArrayBuffer | Buffer[] | Blob;
export type BinaryType = 'nodebuffer' | 'arraybuffer' | 'fragments' | 'blob';

export interface PerMessageDeflateOptions {
  serverNoContextTakeover?: boolean;
  clientNoContextTakeover?: boolean;
  serverMaxWindowBits?: number | boolean;
  clientMaxWindowBits?: number | boolean;
  zlibDeflateOptions?: { level?: number };
  /** Messages smaller than this are sent uncompressed. Default 1024. */
  threshold?: number;
}

/** Engine options by name that may be given to a server or client (see index.d.ts). */
export type EnginePassThrough = Pick<
  EngineOptions,
  | 'maxFrameSize' | 'maxMessageSize' | 'maxFragments' | 'maxOutputBuffer' | 'highWaterMark' | 'lowWaterMark'
  | 'maxOutgoingFrameSize' | 'maxHeaderBytes' | 'maxHeaders' | 'pingInterval' | 'pongTimeout' | 'idleTimeout'
  | 'maxLifetime' | 'closeTimeout' | 'allowedOrigins'
>;

export interface ClientOptions extends EnginePassThrough {
  headers?: Record<string, string>;
  origin?: string;
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  maxPayload?: number;
  handshakeTimeout?: number;
  autoPong?: boolean;
  skipUTF8Validation?: boolean;
  createConnection?: (options: object) => Duplex;
  /** Any other option goes to `tls.connect` / `net.connect` (ca, cert, key, rejectUnauthorized, servername, ...). */
  [tlsOrNetOption: string]: unknown;
}

export declare class WebSocket extends EventEmitter {
  static readonly CONNECTING: 0;
  static readonly OPEN: 1;
  static readonly CLOSING: 2;
  static readonly CLOSED: 3;
  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSING: 2;
  readonly CLOSED: 3;
  constructor(address: string | URL, options?: ClientOptions);
  constructor(address: string | URL, protocols?: string | string[], options?: ClientOptions);
  binaryType: BinaryType;
  readonly bufferedAmount: number;
  readonly extensions: string;
  readonly isPaused: boolean;
  readonly protocol: string;
  readonly readyState: 0 | 1 | 2 | 3;
  readonly url: string | undefined;
  onopen: ((event: { type: 'open'; target: WebSocket }) => void) | null;
  onmessage: ((event: { type: 'message'; target: WebSocket; data: Data | string }) => void) | null;
  onclose: ((event: { type: 'close'; target: WebSocket; code: number; reason: string; wasClean: boolean }) => void) | null;
  onerror: ((event: { type: 'error'; target: WebSocket; error: Error; message: string }) => void) | null;
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: any) => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: any) => void): void;
  send(data: string | Buffer | ArrayBuffer | ArrayBufferView | number, cb?: (err?: Error) => void): void;
  send(
    data: string | Buffer | ArrayBuffer | ArrayBufferView | number,
    options: { binary?: boolean; compress?: boolean; fin?: boolean; mask?: boolean },
    cb?: (err?: Error) => void
  ): void;
  ping(data?: unknown, mask?: boolean, cb?: (err?: Error) => void): void;
  pong(data?: unknown, mask?: boolean, cb?: (err?: Error) => void): void;
  close(code?: number, reason?: string | Buffer): void;
  terminate(): void;
  pause(): void;
  resume(): void;
  on(event: 'open', listener: () => void): this;
  on(event: 'message', listener: (data: Data, isBinary: boolean) => void): this;
  on(event: 'close', listener: (code: number, reason: Buffer) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'ping' | 'pong', listener: (data: Buffer) => void): this;
  on(event: 'upgrade', listener: (response: { statusCode: number; headers: Record<string, string> }) => void): this;
  on(event: 'unexpected-response', listener: (request: object, response: IncomingMessage) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}

export interface VerifyClientInfo {
  origin: string | undefined;
  secure: boolean;
  req: IncomingMessage;
}

export interface ServerOptions extends EnginePassThrough {
  host?: string;
  port?: number;
  backlog?: number;
  server?: HttpServer | HttpsServer;
  noServer?: boolean;
  path?: string;
  clientTracking?: boolean;
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  maxPayload?: number;
  autoPong?: boolean;
  skipUTF8Validation?: boolean;
  verifyClient?:
    | ((info: VerifyClientInfo) => boolean)
    | ((info: VerifyClientInfo, cb: (verified: boolean, code?: number, message?: string, headers?: Record<string, string>) => void) => void);
  handleProtocols?: (protocols: Set<string>, request: IncomingMessage) => string | false;
  WebSocket?: typeof WebSocket;
}

export declare class WebSocketServer extends EventEmitter {
  constructor(options: ServerOptions, callback?: () => void);
  options: ServerOptions;
  clients: Set<WebSocket>;
  address(): ReturnType<HttpServer['address']>;
  close(cb?: (err?: Error) => void): void;
  shouldHandle(request: IncomingMessage): boolean;
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, callback: (ws: WebSocket, request: IncomingMessage) => void): void;
  on(event: 'connection', listener: (ws: WebSocket, request: IncomingMessage) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  on(event: 'headers', listener: (headers: string[], request: IncomingMessage) => void): this;
  on(event: 'close' | 'listening', listener: () => void): this;
  on(event: 'wsClientError', listener: (error: Error, socket: Duplex, request: IncomingMessage) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}

export declare function createWebSocketStream(websocket: WebSocket, options?: DuplexOptions): Duplex;
