#!/usr/bin/env node
'use strict';
// Builds the native module from source with cargo and copies it to wsengine.node.
// Run by `npm install` (the package's install script) and `npm run build`.
//   WSENGINE_NODE_PROFILE=debug   build without optimisations
//   WSENGINE_NODE_FEATURES=...    cargo features (default: the crate's defaults)
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const cargo = process.env.CARGO || 'cargo';
const profile = process.env.WSENGINE_NODE_PROFILE || 'release';
const args = ['build', '-p', 'wsengine-node', '--message-format=json-render-diagnostics'];
if (profile === 'release') args.push('--release');
else if (profile !== 'debug') args.push('--profile', profile);
if (process.env.WSENGINE_NODE_FEATURES) args.push('--features', process.env.WSENGINE_NODE_FEATURES);

const res = spawnSync(cargo, args, {
  cwd: root,
  stdio: ['ignore', 'pipe', 'inherit'],
  maxBuffer: 256 * 1024 * 1024,
  encoding: 'utf8',
});
if (res.error) {
  console.error(`wsengine: could not run ${cargo}: ${res.error.message} (install Rust: https://rustup.rs)`);
  process.exit(1);
}
if (res.status !== 0) {
  console.error('wsengine: cargo build failed');
  process.exit(res.status || 1);
}
let lib = null;
for (const line of res.stdout.split('\n')) {
  if (!line.startsWith('{')) continue;
  const msg = JSON.parse(line);
  if (msg.reason === 'compiler-artifact' && msg.target && msg.target.name === 'wsengine_node') {
    lib = msg.filenames.find((f) => /\.(so|dylib|dll)$/.test(f)) || lib;
  }
}
if (!lib) {
  console.error('wsengine: cargo did not report the cdylib');
  process.exit(1);
}
const dest = path.join(root, 'wsengine.node');
const tmp = dest + '.tmp' + process.pid;
fs.copyFileSync(lib, tmp);
fs.renameSync(tmp, dest); // atomic: a running process keeps the old file
console.log(`wsengine: built ${path.relative(process.cwd(), dest)} from ${lib}`);
