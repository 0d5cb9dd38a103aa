'use strict';
// Error paths: JS Errors with .kind and .closeCode, never a crash of the process.
const test = require('node:test');
const assert = require('node:assert');
const crypto = require('crypto');
const { Connection } = require('..');

function openPair(options = {}) {
  const server = Connection.open('server', options);
  const client = Connection.open('client', options);
  server.pollEvents();
  client.pollEvents();
  return { server, client };
}

test('application misuse throws JS Errors with kind and closeCode', () => {
  const { client } = openPair();
  const cases = [
    [() => client.close(1001), 'invalid_close_code_for_app'],
    [() => client.close(1000, 'x'.repeat(124)), 'reason_too_long'],
    [() => client.closeWith(1005), 'invalid_input'],
    [() => client.ping(Buffer.alloc(126)), 'control_payload_too_long'],
    [() => client.accept(), 'invalid_state'],
    [() => Connection.client('http://example.com/'), 'invalid_input'],
    [() => Connection.server({ lowWaterMark: 10, highWaterMark: 5 }), 'invalid_input'],
    [() => Connection.server({ maxFrameSize: -1 }), 'invalid_input'],
    [() => Connection.server({ nope: 1 }), 'invalid_input'],
    [() => Connection.open('neither'), 'invalid_input'],
    [() => client.sendText(42), 'invalid_input'],
    [() => client.sendBinary({}), 'invalid_input'],
  ];
  for (const [fn, kind] of cases) {
    assert.throws(fn, (e) => e instanceof Error && e.kind === kind && typeof e.closeCode === 'number', kind);
  }
  client.close(1000, 'bye');
  assert.throws(() => client.sendText('late'), { kind: 'invalid_state' });
});

test('a protocol violation fails the connection with the right close code', () => {
  const { server } = openPair();
  const events = server.receive(Buffer.from([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f])); // unmasked
  assert.strictEqual(events[0].type, 'failed');
  assert.ok(events[0].error instanceof Error);
  assert.strictEqual(events[0].error.kind, 'unmasked_frame');
  assert.strictEqual(events[0].error.closeCode, 1002);
  assert.strictEqual(events[1].type, 'closed');
  assert.strictEqual(server.state, 'closed');
  const out = server.takeOutput();
  assert.strictEqual(out[0], 0x88); // a close frame ...
  assert.strictEqual(out.readUInt16BE(2), 1002); // ... with 1002
  assert.deepStrictEqual(server.receive(Buffer.from([1, 2, 3])), []); // after close: nothing
});

test('limits: message too big is 1009', () => {
  const { server, client } = openPair({ maxMessageSize: 100 });
  client.sendBinary(Buffer.alloc(101));
  const events = server.receive(client.takeOutput());
  assert.strictEqual(events[0].error.kind, 'message_too_large');
  assert.strictEqual(events[0].error.closeCode, 1009);
});

test('invalid UTF-8 is 1007', () => {
  const { server, client } = openPair();
  // Our own sender refuses to put invalid text on the wire...
  assert.throws(() => client.sendFragment('text', Buffer.from([0xff]), true), (e) => e.kind === 'invalid_input');
  // ...so write the masked frame by hand: FIN + text, 1 byte, key 01 02 03 04, payload 0xff.
  const frame = Buffer.from([0x81, 0x81, 1, 2, 3, 4, 0xff ^ 1]);
  const events = server.receive(frame);
  assert.strictEqual(events[0].error.kind, 'invalid_utf8');
  assert.strictEqual(events[0].error.closeCode, 1007);
});

test('random garbage never crashes the process', () => {
  for (let i = 0; i < 300; i++) {
    const server = i % 2 ? Connection.server() : Connection.open('server');
    const client = Connection.open('client');
    for (let k = 0; k < 5; k++) {
      const junk = crypto.randomBytes(1 + (i * 37 + k * 11) % 300);
      for (const ev of server.receive(junk, k)) assert.ok(typeof ev.type === 'string');
      for (const ev of client.receive(junk, k)) assert.ok(typeof ev.type === 'string');
    }
    server.receiveEof();
    client.receiveEof(10);
  }
});

test('timers: pong timeout fails with 1011, handshake timeout answers 408', () => {
  const { server } = openPair({ pingInterval: 1000, pongTimeout: 500 });
  server.handleTimeout(0);
  assert.strictEqual(server.nextTimeout(), 1000);
  server.handleTimeout(1000);
  assert.ok(server.takeOutput()[0] === 0x89, 'a ping was sent');
  const events = server.handleTimeout(1600);
  assert.strictEqual(events[0].error.kind, 'pong_timeout');
  assert.strictEqual(events[0].error.closeCode, 1011);

  const s = Connection.server({ handshakeTimeout: 100 });
  s.handleTimeout(0);
  const evs = s.handleTimeout(200);
  assert.ok(evs.some((e) => e.type === 'closed'));
  assert.ok(s.takeOutput().toString('latin1').startsWith('HTTP/1.1 408'));
});

test('chunk delivery, fragments and post-handshake round trip', () => {
  const { server, client } = openPair({ delivery: { chunks: 4 } });
  client.sendFragment('text', Buffer.from('ab€'), false);
  client.sendFragment('text', 'cd😀', true);
  const chunks = server.receive(client.takeOutput());
  assert.ok(chunks.every((e) => e.type === 'chunk' && e.kind === 'text'));
  assert.strictEqual(chunks.map((e) => e.data).join(''), 'ab€cd😀');
  assert.strictEqual(chunks[0].first, true);
  assert.strictEqual(chunks[chunks.length - 1].last, true);
});

test('sendText takes UTF-8 bytes: validated, and compressed like a string', () => {
  for (const deflate of [false, true]) {
    const server = Connection.server({ deflate });
    const client = Connection.client('ws://h/', { deflate });
    const pump = (from, to) => {
      const out = from.takeOutput();
      return out ? to.receive(out) : [];
    };
    pump(client, server);
    server.accept();
    server.pollEvents();
    pump(server, client);
    const text = 'añ€𝄞 '.repeat(2000);
    server.sendText(Buffer.from(text));
    server.sendText(new TextEncoder().encode('plain Uint8Array'));
    const wire = server.takeOutput();
    // With permessage-deflate the first frame is compressed (RSV1), as a string's would be.
    assert.strictEqual((wire[0] & 0x40) !== 0, deflate, `deflate ${deflate}`);
    const events = client.receive(wire).filter((e) => e.type === 'text');
    assert.deepStrictEqual(events.map((e) => e.data), [text, 'plain Uint8Array']);
    // Invalid UTF-8: refused with invalid_input, nothing queued, the connection stays open.
    assert.throws(() => server.sendText(Buffer.from([0x61, 0xff])), { kind: 'invalid_input' });
    assert.strictEqual(server.takeOutput(), null);
    assert.strictEqual(server.state, 'open');
  }
});
