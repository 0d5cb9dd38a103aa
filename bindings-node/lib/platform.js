'use strict';
// Which prebuilt platform package fits this machine (napi-rs naming): used by the install
// script and by the loader in index.js.

/** The platform package's suffix for this machine, as napi-rs names them. */
function platformTriple() {
  const { platform, arch } = process;
  if (platform !== 'linux') return `${platform}-${arch}`;
  const report = process.report && typeof process.report.getReport === 'function' ? process.report.getReport() : null;
  const glibc = report && report.header && report.header.glibcVersionRuntime;
  return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`;
}

module.exports = { platformTriple };
