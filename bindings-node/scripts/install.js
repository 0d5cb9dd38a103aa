#!/usr/bin/env node
'use strict';
// The package's install script. Puts the native module at wsengine.node, from one of:
//   1. the prebuilt platform package npm chose through optionalDependencies (napi-rs style:
//      `wsengine-linux-x64-gnu`, ...; npm installs only the one whose os/cpu/libc match);
//   2. a build from source with cargo (scripts/build.js), from the Rust sources the tarball
//      carries (core included), or from the repository's workspace in a checkout.
// Environment:
//   WSENGINE_BUILD_FROM_SOURCE=1   skip the prebuilt binary and build with cargo
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const dest = path.join(root, 'wsengine.node');

const { platformTriple } = require('../lib/platform.js');

/** Path of the prebuilt module if its platform package is installed and the module loads. */
function prebuilt(triple) {
  const name = `wsengine-${triple}`;
  let file;
  try {
    const pkg = require.resolve(`${name}/package.json`, { paths: [root] });
    file = path.join(path.dirname(pkg), require(pkg).main);
  } catch {
    return null; // not installed: npm skipped it (other platform) or it was omitted
  }
  try {
    require(file);
  } catch (e) {
    console.error(`wsengine: the prebuilt ${name} does not load here (${e.message}); building from source`);
    return null;
  }
  return { name, file };
}

function install() {
  const triple = platformTriple();
  const found = process.env.WSENGINE_BUILD_FROM_SOURCE ? null : prebuilt(triple);
  if (found) {
    const tmp = `${dest}.tmp${process.pid}`;
    fs.copyFileSync(found.file, tmp);
    fs.renameSync(tmp, dest);
    console.log(`wsengine: using the prebuilt native module from ${found.name}`);
    return 0;
  }
  const cargo = process.env.CARGO || 'cargo';
  const probe = spawnSync(cargo, ['--version'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) {
    console.error(
      `wsengine: no prebuilt native module fits this platform (${triple}) and cargo is not on PATH, ` +
        'so it cannot be built from source: install Rust (https://rustup.rs) and run npm install again.'
    );
    return 1;
  }
  const res = spawnSync(process.execPath, [path.join(__dirname, 'build.js')], { cwd: root, stdio: 'inherit' });
  return res.status === null ? 1 : res.status;
}

process.exitCode = install();
