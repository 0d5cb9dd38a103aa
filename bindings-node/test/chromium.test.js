'use strict';
// A real headless Chromium (Debian's /usr/bin/chromium) whose own WebSocket talks to our
// Node server (the http-server example), driven by playwright-core.
const test = require('node:test');
const assert = require('node:assert');
const httpServer = require('../examples/http-server.js');
const { deflateSupported } = require('..');

test('Chromium WebSocket <-> wsengine server', { timeout: 60000 }, async () => {
  const { chromium } = require('playwright-core');
  const { launchChromium } = await import('../../tests/chromium.mjs');
  const server = await httpServer.start({ options: { deflate: deflateSupported } });
  let browser;
  try {
    browser = await launchChromium(chromium);
    const page = await browser.context.newPage();
    const base = `127.0.0.1:${server.address().port}`;
    await page.goto(`http://${base}/`);
    const result = await page.evaluate(async (base) => {
      const ws = new WebSocket(`ws://${base}/echo`);
      ws.binaryType = 'arraybuffer';
      const got = [];
      const closed = new Promise((resolve) => (ws.onclose = (e) => resolve({ code: e.code, reason: e.reason, wasClean: e.wasClean })));
      await new Promise((resolve, reject) => {
        ws.onopen = resolve;
        ws.onerror = () => reject(new Error('error before open'));
      });
      const text = 'héllo from chromium 😀 '.repeat(3000);
      const bin = new Uint8Array(300000).map((_, i) => (i * 7) & 255);
      const replies = new Promise((resolve) => {
        ws.onmessage = (e) => {
          got.push(e.data);
          if (got.length === 3) resolve();
        };
      });
      ws.send('small');
      ws.send(text);
      ws.send(bin);
      await replies;
      ws.send('close:4003');
      const close = await closed;
      const binOk = got[2] instanceof ArrayBuffer && new Uint8Array(got[2]).every((v, i) => v === ((i * 7) & 255));
      return { small: got[0], textOk: got[1] === text, binOk, extensions: ws.extensions, close };
    }, base);
    assert.strictEqual(result.small, 'small');
    assert.ok(result.textOk, 'text echoed');
    assert.ok(result.binOk, 'binary echoed');
    assert.strictEqual(result.extensions.includes('permessage-deflate'), deflateSupported);
    assert.deepStrictEqual(result.close, { code: 4003, reason: 'as asked', wasClean: true });
  } finally {
    if (browser) await browser.close();
    server.close();
  }
});
