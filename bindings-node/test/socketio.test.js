'use strict';
// Socket.IO 4 on wsengine: engine.io's `wsEngine` option takes our WebSocketServer; a
// socket.io-client (which speaks through the `ws` package) exchanges events, acknowledgements
// and binary attachments over the websocket transport, with compression off and on.
const test = require('node:test');
const assert = require('node:assert');
const http = require('http');
const { once } = require('events');
const { Server } = require('socket.io');
const { io } = require('socket.io-client');
const { WebSocketServer } = require('..');

for (const perMessageDeflate of [false, true]) {
  test(`Socket.IO with wsEngine: WebSocketServer (perMessageDeflate ${perMessageDeflate})`, async () => {
    const httpServer = http.createServer();
    const ioServer = new Server(httpServer, { wsEngine: WebSocketServer, perMessageDeflate, transports: ['websocket'] });
    let extensions = null;
    ioServer.on('connection', (socket) => {
      extensions = socket.conn.transport.socket.extensions;
      socket.on('echo', (msg) => socket.emit('echo', msg));
      socket.on('sum', (a, b, ack) => ack(a + b));
      socket.on('blob', (buf, ack) => ack({ length: buf.length, first: buf[0], last: buf[buf.length - 1], copy: buf }));
      socket.on('join', (room) => {
        socket.join(room);
        ioServer.to(room).emit('joined', socket.id);
      });
    });
    httpServer.listen(0, '127.0.0.1');
    await once(httpServer, 'listening');

    const client = io(`http://127.0.0.1:${httpServer.address().port}`, {
      transports: ['websocket'],
      perMessageDeflate: perMessageDeflate ? { threshold: 0 } : false,
      reconnection: false,
    });
    try {
      await once(client, 'connect');
      assert.strictEqual(client.io.engine.transport.name, 'websocket');
      assert.strictEqual(extensions.includes('permessage-deflate'), perMessageDeflate);

      // events
      const big = 'x'.repeat(100000);
      client.emit('echo', { hello: 'world', n: [1, 2, 3] });
      client.emit('echo', big);
      const [first] = await once(client, 'echo');
      assert.deepStrictEqual(first, { hello: 'world', n: [1, 2, 3] });
      const [second] = await once(client, 'echo');
      assert.strictEqual(second, big);

      // acknowledgements
      const sum = await client.timeout(5000).emitWithAck('sum', 2, 40);
      assert.strictEqual(sum, 42);

      // binary attachments, both ways
      const payload = Buffer.alloc(300000);
      for (let i = 0; i < payload.length; i++) payload[i] = i & 0xff;
      const answer = await client.timeout(5000).emitWithAck('blob', payload);
      assert.strictEqual(answer.length, payload.length);
      assert.strictEqual(answer.first, 0);
      assert.strictEqual(answer.last, (payload.length - 1) & 0xff);
      assert.ok(Buffer.from(answer.copy).equals(payload));

      // rooms / broadcast through the server
      client.emit('join', 'r1');
      const [id] = await once(client, 'joined');
      assert.strictEqual(id, client.id);

      // many round trips in flight
      const acks = await Promise.all(Array.from({ length: 200 }, (_, i) => client.timeout(5000).emitWithAck('sum', i, 1)));
      assert.deepStrictEqual(acks, Array.from({ length: 200 }, (_, i) => i + 1));

      // the server closes the connection: the client sees it
      const disconnected = once(client, 'disconnect');
      ioServer.disconnectSockets(true);
      const [reason] = await disconnected;
      assert.strictEqual(reason, 'io server disconnect');
    } finally {
      client.close();
      await new Promise((resolve) => ioServer.close(resolve));
    }
  });
}
