// The `--target web` build in a real headless Chromium: the shared vectors run in a page, and
// Chromium's own WebSocket talks to the wasm engine serving in Node (with permessage-deflate).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startServer, launchChromium } from './browser-helpers.mjs';

const require = createRequire(import.meta.url);
const { Connection, attach, upgradeRequestBytes } = require('..');

let srv;
let browser;
const serverCloses = [];

before(async () => {
  srv = await startServer();
  srv.server.on('upgrade', (req, socket, head) => {
    const conn = Connection.server({ deflate: true });
    const first = conn.receive(upgradeRequestBytes(req));
    if (first[0]?.type === 'request') conn.accept();
    const link = attach(conn, socket, (ev) => {
      if (ev.type === 'text' || ev.type === 'binary') {
        conn.send(ev.data);
        link.flush();
      } else if (ev.type === 'closed') serverCloses.push(ev);
    }, { initialEvents: conn.pollEvents() });
    if (head.length) link.dispatch(conn.receive(head));
  });
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.close();
});

test('vectors and a Chromium WebSocket against the web build', { timeout: 120_000 }, async () => {
  const page = await browser.context.newPage();
  const logs = [];
  page.on('console', (m) => logs.push(m.text()));
  page.on('pageerror', (e) => logs.push(String(e)));
  await page.goto(`${srv.url}/test/browser/vectors.html`);
  const r = await page.evaluate(() => window.results);
  assert.equal(r.error, undefined, `${r.error}\n${logs.join('\n')}`);
  assert.deepEqual(r.failed, []);
  assert.equal(r.deflate, true);
  assert.equal(r.skipped, 0);
  assert.ok(r.passed >= 100, `only ${r.passed} vectors passed`);
  assert.match(r.ws.extensions, /permessage-deflate/);
  assert.equal(r.ws.echoed, true);
  assert.equal(r.ws.closeCode, 1000);
  assert.equal(r.ws.wasClean, true);
  assert.equal(serverCloses[0]?.code, 1000);
  await page.close();
});
