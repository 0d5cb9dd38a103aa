/// <reference types="node" />
import type { ConnectionOptions, HeadersInit } from './index';
import type { ConnectionOptions as TlsConnectionOptions } from 'tls';

export type BinaryType = 'nodebuffer' | 'arraybuffer' | 'blob';

export interface WebSocketOptions
  extends Omit<ConnectionOptions, 'protocols' | 'delivery' | 'surfacePings' | 'surfacePongs' | 'autoPong' | 'allowedOrigins'> {
  headers?: HeadersInit;
  origin?: string;
  /** Options for `tls.connect` (wss:). */
  tls?: TlsConnectionOptions;
}

export declare class CloseEvent extends Event {
  constructor(type: string, init?: { wasClean?: boolean; code?: number; reason?: string });
  readonly wasClean: boolean;
  readonly code: number;
  readonly reason: string;
}

export interface MessageEvent<T = any> extends Event {
  readonly data: T;
  readonly origin: string;
}

/** The W3C WebSocket API over Node's net / tls. */
export declare class WebSocket extends EventTarget {
  constructor(url: string | URL, protocols?: string | string[], options?: WebSocketOptions);
  static readonly CONNECTING: 0;
  static readonly OPEN: 1;
  static readonly CLOSING: 2;
  static readonly CLOSED: 3;
  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSING: 2;
  readonly CLOSED: 3;
  readonly url: string;
  readonly readyState: 0 | 1 | 2 | 3;
  readonly bufferedAmount: number;
  readonly protocol: string;
  readonly extensions: string;
  /** Default 'blob' (the standard's); 'nodebuffer' is a Node extension. */
  binaryType: BinaryType;
  onopen: ((this: WebSocket, ev: Event) => any) | null;
  onmessage: ((this: WebSocket, ev: MessageEvent) => any) | null;
  onerror: ((this: WebSocket, ev: Event) => any) | null;
  onclose: ((this: WebSocket, ev: CloseEvent) => any) | null;
  send(data: string | ArrayBufferLike | ArrayBufferView | Blob): void;
  close(code?: number, reason?: string): void;
}
