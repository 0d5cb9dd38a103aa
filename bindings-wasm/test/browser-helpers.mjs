// A static file server on 127.0.0.1 (the package, the shared vectors) and a headless
// Debian Chromium driven by playwright-core, for the browser tests.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { launchChromium as launchShared } from '../../tests/chromium.mjs';

const require = createRequire(import.meta.url);
export const pkgDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const vectorsDir = path.join(pkgDir, '..', 'tests', 'vectors');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.bin': 'application/octet-stream',
};

/** Serves bindings-wasm/ at / and tests/vectors/ at /vectors/ (index.json lists the files). */
export async function startServer() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    let file;
    if (url.pathname === '/vectors/index.json') {
      const list = fs.readdirSync(vectorsDir).filter((f) => f.endsWith('.json')).sort();
      res.writeHead(200, { 'content-type': TYPES['.json'] });
      res.end(JSON.stringify(list));
      return;
    }
    if (url.pathname.startsWith('/vectors/')) file = path.join(vectorsDir, url.pathname.slice(9));
    else file = path.join(pkgDir, url.pathname);
    file = path.normalize(file);
    const inside = file.startsWith(pkgDir + path.sep) || file.startsWith(vectorsDir + path.sep);
    if (!inside || file.includes(`${path.sep}node_modules${path.sep}`) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404);
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream', 'cache-control': 'no-store' });
    fs.createReadStream(file).pipe(res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return {
    server,
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(r));
    },
  };
}

/** Debian's Chromium, headless, fresh profile, no outside network (tests/chromium.mjs). */
export function launchChromium() {
  return launchShared(require('playwright-core').chromium);
}
