'use strict';
// wsengine-wasm for Node.js (and Bun): the wasm engine, loaded synchronously, behind the same
// API as the native Node binding (`wsengine`). Payloads are Buffers, as there.

const path = require('path');

function load(file) {
  try {
    return require(file);
  } catch (e) {
    const err = new Error(
      'wsengine-wasm: the wasm build is missing; run `npm run build` in bindings-wasm: ' + e.message
    );
    err.cause = e;
    throw err;
  }
}

const native = load(path.join(__dirname, 'pkg', 'node', 'wsengine_wasm.js'));
const createApi = load(path.join(__dirname, 'pkg', 'api.cjs'));

let memBuf = null;
module.exports = createApi(native, {
  bytes: (u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength),
  copy(view) {
    // allocUnsafe: no zero-fill of memory that is overwritten at once.
    const b = Buffer.allocUnsafe(view.length);
    b.set(view);
    return b;
  },
  text(u8, start, end, ascii) {
    if (memBuf === null || memBuf.buffer !== u8.buffer) memBuf = Buffer.from(u8.buffer);
    return ascii ? memBuf.latin1Slice(start, end) : memBuf.utf8Slice(start, end);
  },
});
module.exports.version = require('./package.json').version; // the one version of every package (Cargo.toml workspace)
