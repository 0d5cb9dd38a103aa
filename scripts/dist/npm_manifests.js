'use strict';
// Writes the package.json of each staged npm package for dist/ (scripts/dist.sh):
//   platform <dir> <version>  the prebuilt module's package, napi-rs style: npm installs it
//                             only where os/cpu/libc match
//   main <dir> <version>      wsengine: optionalDependencies on the platform package; the
//                             repository's dev dependencies and dev scripts dropped
//   wasm <dir> <version>      wsengine-wasm: dev dependencies and build/test scripts dropped
// The repository's own package.json has no optionalDependencies on purpose: a development
// `npm install` must never look our platform package's name up on the registry.
const fs = require('fs');
const path = require('path');

const PLATFORM = 'wsengine-linux-x64-gnu';
const [kind, dir, version] = process.argv.slice(2);
const file = path.join(dir, 'package.json');

function write(pkg) {
  fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + '\n');
}

if (kind === 'platform') {
  write({
    name: PLATFORM,
    version,
    description: 'The prebuilt native module of wsengine for Linux x64 with glibc >= 2.17 (installed by the wsengine package)',
    license: 'MIT',
    os: ['linux'],
    cpu: ['x64'],
    libc: ['glibc'],
    main: 'wsengine.linux-x64-gnu.node',
    files: ['wsengine.linux-x64-gnu.node'],
    engines: { node: '>=18' },
  });
  fs.writeFileSync(
    path.join(dir, 'README.md'),
    `# ${PLATFORM}\n\nThe prebuilt native module of [wsengine](https://www.npmjs.com/package/wsengine) ` +
      'for Linux x64 (glibc 2.17 or later). Install `wsengine`, which depends on this package ' +
      'optionally; npm installs it only on a matching machine.\n'
  );
} else if (kind === 'main' || kind === 'wasm') {
  const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (pkg.version !== version) throw new Error(`${file}: version ${pkg.version}, expected ${version}`);
  delete pkg.devDependencies;
  // The main package keeps `install` and `build` (scripts/build.js ships); the wasm package's
  // build needs the repository.
  const drop = kind === 'main' ? ['test', 'bench', 'prepare', 'prepack'] : ['test', 'bench', 'build', 'prepare', 'prepack'];
  for (const s of drop) {
    if (pkg.scripts) delete pkg.scripts[s];
  }
  if (pkg.scripts && Object.keys(pkg.scripts).length === 0) delete pkg.scripts;
  if (kind === 'main') {
    pkg.optionalDependencies = { [PLATFORM]: version };
    if (!fs.existsSync(path.join(dir, 'core', 'Cargo.toml'))) throw new Error('the core sources are missing');
  }
  write(pkg);
} else {
  throw new Error('usage: npm_manifests.js platform|main|wasm <dir> <version>');
}
