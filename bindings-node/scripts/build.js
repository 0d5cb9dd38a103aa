#!/usr/bin/env node
'use strict';
// Builds the native module from source with cargo and copies it to wsengine.node.
// Run by `npm install` (the package's install script) and `npm run build`.
//   WSENGINE_NODE_PROFILE=debug   build without optimisations
//   WSENGINE_NODE_FEATURES=...    cargo features (default: the crate's defaults)
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const cargo = process.env.CARGO || 'cargo';
const profile = process.env.WSENGINE_NODE_PROFILE || 'release';
const args = ['build', '-p', 'wsengine-node', '--message-format=json-render-diagnostics'];
if (profile === 'release') args.push('--release');
else if (profile !== 'debug') args.push('--profile', profile);
if (process.env.WSENGINE_NODE_FEATURES) args.push('--features', process.env.WSENGINE_NODE_FEATURES);

// cargo's own progress (stderr) is passed through as it comes. npm hides the output of a
// dependency's install script unless `--foreground-scripts` is given, so when stderr is not
// a terminal it is also copied to the controlling terminal, if there is one.
let tty = null;
if (!process.stderr.isTTY) {
  try {
    tty = fs.openSync('/dev/tty', 'w');
  } catch {
    tty = null; // no terminal (CI, a pipe): stderr only
  }
}
const say = (text) => {
  process.stderr.write(text);
  if (tty !== null) {
    try {
      fs.writeSync(tty, text);
    } catch {
      tty = null;
    }
  }
};
say(`wsengine: building the native module from source with cargo (${profile} profile)\n`);

const child = spawn(cargo, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
let stdout = '';
child.stdout.setEncoding('utf8');
child.stdout.on('data', (d) => {
  stdout += d;
});
child.stderr.on('data', (d) => say(d.toString()));
child.on('error', (e) => {
  say(`wsengine: could not run ${cargo}: ${e.message} (install Rust: https://rustup.rs)\n`);
  process.exit(1);
});
child.on('close', (status) => {
  if (status !== 0) {
    say('wsengine: cargo build failed\n');
    process.exit(status || 1);
  }
  finish(stdout);
});

function finish(out) {
  let lib = null;
  for (const line of out.split('\n')) {
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
}
