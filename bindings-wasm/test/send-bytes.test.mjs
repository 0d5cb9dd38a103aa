// `sendText` with UTF-8 bytes in the wasm package (the same JS layer as Node's): validated by
// the engine, sent as one text message, refused with invalid_input when not UTF-8.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Connection } = require('..');

test('sendText takes UTF-8 bytes: validated, delivered as the same text', () => {
  const server = Connection.open('server');
  const client = Connection.open('client');
  server.pollEvents();
  client.pollEvents();
  const text = 'añ€𝄞 '.repeat(500);
  server.sendText(new TextEncoder().encode(text));
  const events = client.receive(server.takeOutput());
  assert.deepEqual(events.map((e) => [e.type, e.data]), [['text', text]]);
  assert.throws(() => server.sendText(new Uint8Array([0x61, 0xff])), { kind: 'invalid_input' });
  assert.equal(server.takeOutput(), null);
  assert.equal(server.state, 'open');
  assert.throws(() => server.sendText(42), { kind: 'invalid_input' });
});

test('textAsBytes: text events carry the UTF-8 bytes, as in the Node binding', () => {
  const server = Connection.open('server');
  const client = Connection.open('client');
  server.pollEvents();
  client.pollEvents();
  assert.equal(client.textAsBytes, false);
  client.textAsBytes = true;
  assert.equal(client.textAsBytes, true);
  const texts = ['añ€𝄞', 'x'.repeat(10000)];
  for (const t of texts) server.sendText(t);
  server.sendBinary(new Uint8Array([1, 2]));
  const events = client.receive(server.takeOutput());
  assert.deepEqual(events.map((e) => e.type), ['text', 'text', 'binary']);
  texts.forEach((t, k) => {
    assert.ok(events[k].data instanceof Uint8Array);
    assert.equal(new TextDecoder().decode(events[k].data), t);
  });
});

test('receiveInPlace (the shared JS layer) copies as receive does here, leaving the chunk as it came', () => {
  const server = Connection.open('server');
  const client = Connection.open('client');
  server.pollEvents();
  client.pollEvents();
  client.sendBinary(new Uint8Array(5000).fill(7));
  client.sendText('hé');
  const chunk = client.takeOutput();
  const before = chunk.slice();
  const events = server.receiveInPlace(chunk);
  assert.deepEqual(events.map((e) => [e.type, e.data.length]), [['binary', 5000], ['text', 2]]);
  assert.ok(events[0].data.every((b) => b === 7));
  assert.deepEqual(chunk, before);
});
