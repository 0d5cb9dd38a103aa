'use strict';
// Output taken from the native engine lands in slices of a shared slab, as Node's own
// `Buffer.allocUnsafe` pools small Buffers: one allocation per slab instead of one Buffer
// backing store (a malloc, and a free on V8's sweeper thread) per take. Outputs above SMALL
// get a Buffer of their own. As with pooled Buffers, a slice keeps its slab alive.

const SLAB = 64 * 1024;
const SMALL = 8 * 1024;

/**
 * The pool over the native calls `takeOutputTo(handle, slab, at)` and
 * `send*ZeroCopyTo(handle, data, slab, at)`, which copy the output into `slab` from `at` and
 * return its length, 0 for none, or minus its length when it did not fit (nothing taken).
 */
function createOutputPool(takeOutputTo) {
  let slab = Buffer.allocUnsafeSlow(SLAB);
  let at = 0;

  /** The slice for the `n` bytes just copied at `at`; the next output starts 8-aligned. */
  function slice(n) {
    const out = slab.subarray(at, at + n);
    at = (at + n + 7) & ~7;
    return out;
  }

  /** The Buffer for a native call's answer `n` on `conn` (null for 0). */
  function settle(conn, n) {
    if (n > 0) return slice(n);
    if (n === 0) return null;
    if (-n > SMALL) return conn._n.takeOutput();
    slab = Buffer.allocUnsafeSlow(SLAB);
    at = 0;
    return slice(takeOutputTo(conn._h, slab, 0));
  }

  return {
    /** Every queued byte of `conn` as a Buffer, or null. */
    take: (conn) => settle(conn, takeOutputTo(conn._h, slab, at)),
    /** `sendZeroCopy` through the native `send` call: the output to write first, or null. */
    zeroCopy: (send, conn, data) => settle(conn, send(conn._h, data, slab, at)),
  };
}

module.exports = { createOutputPool };
