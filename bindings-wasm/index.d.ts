/// <reference types="node" />
// Types for `wsengine-wasm`: the JavaScript layer it shares with the Node binding
// (pkg/engine.d.ts, copied from bindings-node/lib/engine.d.ts at build time), with payloads
// typed `Payload` (a Buffer under Node, a Uint8Array elsewhere), plus `free()` and the
// `Inspector`, and without the Node-only `WebSocket` export.

export * from './pkg/engine';
import type { Bytes, ConnectionOptions } from './pkg/engine';

declare module './pkg/engine' {
  interface Connection {
    /** Frees the connection's wasm memory now instead of at garbage collection. */
    free(): void;
  }
}

export declare const deflateSupported: boolean;
/** The engine's option names: the core's configuration schema, camelCased (`maxFrameSize`, ...). */
export declare const configOptions: string[];

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

export declare class Inspector {
  constructor(options?: InspectorOptions);
  feed(bytes: Bytes): InspectorItem[];
  finish(): InspectorItem[];
  free(): void;
}
/** The package's version (the same for every wsengine package, e.g. "0.1.0"). */
export declare const version: string;
