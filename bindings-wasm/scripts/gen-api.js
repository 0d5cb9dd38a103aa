'use strict';
// Writes pkg/api.cjs (CommonJS, for index.js) and pkg/api.mjs (ES module, for web.js) from
// the JavaScript layer shared with the Node binding (bindings-node/lib/engine.js) followed by
// the wasm mapping lib/api.js.
const fs = require('fs');
const path = require('path');
const here = path.join(__dirname, '..');
const engine = fs
  .readFileSync(path.join(here, '..', 'bindings-node', 'lib', 'engine.js'), 'utf8')
  .replace(/^module\.exports = createEngine;.*$/m, '');
const src = engine + '\n' + fs.readFileSync(path.join(here, 'lib', 'api.js'), 'utf8');
const banner = '// Generated from bindings-node/lib/engine.js and lib/api.js by scripts/gen-api.js: edit those.\n';
fs.mkdirSync(path.join(here, 'pkg'), { recursive: true });
fs.writeFileSync(path.join(here, 'pkg', 'api.cjs'), `${banner}'use strict';\n${src}\nmodule.exports = createApi;\n`);
fs.writeFileSync(path.join(here, 'pkg', 'api.mjs'), `${banner}${src}\nexport default createApi;\n`);
// The package's version for web.js (browsers cannot import package.json portably).
const { version } = require(path.join(here, 'package.json'));
fs.writeFileSync(path.join(here, 'pkg', 'version.mjs'), `// Generated from package.json by scripts/gen-api.js.\nexport const version = ${JSON.stringify(version)};\n`);
