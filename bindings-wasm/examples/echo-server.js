#!/usr/bin/env node
'use strict';
// The Node binding's echo server (bindings-node/examples/net-server.js) on the wasm engine:
// the same JS driver, `wsengine-wasm` underneath. The conformance suite runs against it.
//   node examples/echo-server.js [port]      then connect to ws://127.0.0.1:<port>/
const api = require('..');
const { start } = require('../../bindings-node/examples/net-server.js');

start({ port: Number(process.argv[2] || 8080), options: { deflate: api.deflateSupported }, api }).then((s) => {
  console.log(`echo server (wasm engine) on ws://127.0.0.1:${s.address().port}/`);
});
