// ES module entry: `import WebSocket, { WebSocketServer, createWebSocketStream } from 'wsengine'`
// as with `ws`; the engine's names (Connection, attach, ...) are exported too.
import wsengine from './index.js';

export default wsengine.WebSocket;
export const WebSocket = wsengine.WebSocket;
export const WebSocketServer = wsengine.WebSocketServer;
export const Server = wsengine.WebSocketServer;
export const createWebSocketStream = wsengine.createWebSocketStream;
export const Connection = wsengine.Connection;
export const attach = wsengine.attach;
export const upgradeRequestBytes = wsengine.upgradeRequestBytes;
export const deflateSupported = wsengine.deflateSupported;
