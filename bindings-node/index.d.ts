/// <reference types="node" />
// Types for the `wsengine` npm package (Node binding of the wsengine sans-IO WebSocket engine).

export * from './lib/engine';

export declare const deflateSupported: boolean;
/** The engine's option names: the core's configuration schema, camelCased (`maxFrameSize`, ...). */
export declare const configOptions: string[];
/** The package's version (the same for every wsengine package, e.g. "0.1.0"). */
export declare const version: string;
// The ws-compatible API; the W3C client is `wsengine/w3c` (websocket.d.ts).
export { WebSocket, WebSocketServer, WebSocketServer as Server, createWebSocketStream } from './lib/ws';
