'use strict';
// The engine's options come from the core's configuration schema: the names the JS layer
// accepts, the types it declares and the checks on every value are the core's.

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { Connection, configOptions } = require('..');

test('configOptions is the core schema, camelCased, and engine.d.ts declares exactly it', () => {
  assert.ok(configOptions.includes('maxFrameSize') && configOptions.includes('deflate'));
  const dts = fs.readFileSync(path.join(__dirname, '..', 'lib', 'engine.d.ts'), 'utf8');
  const body = dts.slice(dts.indexOf('export interface ConnectionOptions {'));
  const declared = [...body.slice(0, body.indexOf('\n}')).matchAll(/^ {2}(\w+)\?:/gm)].map((m) => m[1]);
  assert.deepStrictEqual(declared, configOptions);
});

test('every option is read, and a wrong value is refused with the option named', () => {
  const bad = {
    maxFrameSize: -1,
    maxOutgoingFrameSize: 1.5,
    autoPong: 'yes',
    pingInterval: -10,
    delivery: 'lines',
    protocols: 'chat',
    allowedOrigins: [1],
    deflate: 'on',
  };
  for (const [name, value] of Object.entries(bad)) {
    assert.throws(
      () => Connection.server({ [name]: value }),
      (e) => e.kind === 'invalid_input' && e.message.includes(`option ${name} must be`),
      name
    );
  }
  assert.throws(() => Connection.server({ maxFrame: 1 }), /unknown option maxFrame/);
});

test('nested tables: delivery { chunks } and deflate options by their camelCased names', () => {
  const c = Connection.server({ delivery: { chunks: 4 }, pingInterval: null, deflate: { serverMaxWindowBits: 10, maxRatio: null } });
  assert.strictEqual(c.state, 'connecting');
  assert.throws(() => Connection.server({ deflate: { serverMaxWindowBits: 7 } }), /option deflate must be/);
  assert.throws(() => Connection.server({ deflate: { noSuchOption: 1 } }), /option deflate must be/);
});

test('the ws API passes engine options through by their schema names', () => {
  const { engineOptions } = require('../lib/ws/options.js');
  // Not ws options: they reach the engine by their own names.
  const o = engineOptions({ maxRejectBody: 1024, closeTimeout: 100, allowedOrigins: ['https://a'] }, 'server');
  assert.deepStrictEqual([o.maxRejectBody, o.closeTimeout, o.allowedOrigins], [1024, 100, ['https://a']]);
  // ws's own options win over the engine's names for what ws decides.
  const p = engineOptions({ perMessageDeflate: false, deflate: true, surfacePings: false }, 'server');
  assert.deepStrictEqual([p.deflate, p.surfacePings], [false, true]);
  // And whatever passes through is checked by the core.
  assert.throws(() => Connection.server(engineOptions({ maxRejectBody: -1 }, 'server')), /option maxRejectBody must be/);
});
