// The inspector page in headless Chromium: paste known captures, check what it shows, and
// save a screenshot (inspector/screenshot.png).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, launchChromium, pkgDir } from './browser-helpers.mjs';

let srv;
let browser;
let page;

const hex = (bytes) => Buffer.from(bytes).toString('hex').replace(/(..)(?!$)/g, '$1 ');

// Server → client: 101 with permessage-deflate, RFC 7692 §7.2.3 "Hello" twice (context
// takeover), ping "hi", "Hel" + "lo" fragmented, binary de ad be ef, text c3 28 (not UTF-8).
const SERVER_STREAM = Buffer.concat([
  Buffer.from(
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n',
    'latin1'
  ),
  Buffer.from('c107f248cdc9c90700' + 'c105f200110000' + '89026869' + '010348656c' + '80026c6f' + '8204deadbeef' + '8102c328', 'hex'),
]);

before(async () => {
  srv = await startServer();
  browser = await launchChromium();
  page = await browser.context.newPage();
  await page.setViewportSize({ width: 1360, height: 900 });
  await page.goto(`${srv.url}/inspector/index.html`);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 });
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.close();
});

test('server stream with handshake and permessage-deflate', { timeout: 60_000 }, async () => {
  await page.fill('#data', hex(SERVER_STREAM));
  await page.selectOption('#direction', 'server');
  await page.check('#handshake');
  await page.fill('#extensions', '');
  await page.click('#decode');
  await page.waitForSelector('#summary');

  const handshake = await page.textContent('#handshake-card');
  assert.match(handshake, /HTTP\/1\.1 101 Switching Protocols/);
  assert.match(handshake, /permessage-deflate/);

  const rows = await page.$$eval('tr.frame', (trs) => trs.map((tr) => Array.from(tr.cells, (c) => c.textContent)));
  assert.equal(rows.length, 7);
  // #, offset, FIN, RSV, opcode, mask, length, text, hex
  assert.equal(rows[0][2], '1');
  assert.equal(rows[0][3], '100');
  assert.match(rows[0][4], /text \(0x1\)/);
  assert.equal(rows[0][5], '—');
  assert.equal(rows[0][6], '7');
  assert.equal(rows[0][8], 'f2 48 cd c9 c9 07 00');
  assert.match(rows[2][4], /ping/);
  assert.equal(rows[3][2], '0');
  assert.match(rows[4][4], /continuation/);
  assert.equal(rows[5][8], 'de ad be ef');

  const events = await page.$$eval('.event', (es) => es.map((e) => e.textContent));
  assert.ok(events.some((e) => e.includes('(inflated)') && e.includes('"Hello"')), events.join('\n'));
  assert.equal(events.filter((e) => e.includes('"Hello"')).length, 2);
  assert.ok(events.some((e) => e.startsWith('ping') && e.includes('"hi"')));
  assert.ok(events.some((e) => e.includes('"Hel"')) && events.some((e) => e.includes('"lo"')));
  const failed = await page.$$eval('.event.failed', (es) => es.map((e) => [e.textContent, e.dataset.closeCode]));
  assert.equal(failed.length, 1);
  assert.match(failed[0][0], /invalid_utf8/);
  assert.equal(failed[0][1], '1007');
  assert.match(await page.textContent('#summary'), /7 frames, 1 protocol error/);

  await page.screenshot({ path: path.join(pkgDir, 'inspector', 'screenshot.png'), fullPage: true });
});

test('client stream: masks, close frame, invalid header', { timeout: 60_000 }, async () => {
  // Masked "Hello" (RFC 6455 §5.7), masked close 1000 "bye", then a reserved opcode 0x3.
  const key = [0x37, 0xfa, 0x21, 0x3d];
  const close = Buffer.from([0x03, 0xe8, ...Buffer.from('bye')]).map((b, i) => b ^ key[i % 4]);
  const stream = Buffer.concat([
    Buffer.from('818537fa213d7f9f4d5158', 'hex'),
    Buffer.from([0x88, 0x85, ...key, ...close]),
    Buffer.from('8380', 'hex'),
  ]);
  await page.fill('#data', Buffer.from(stream).toString('base64'));
  await page.selectOption('#direction', 'client');
  await page.uncheck('#handshake');
  await page.click('#decode');
  await page.waitForFunction(() => document.querySelectorAll('tr.frame').length === 2);
  const rows = await page.$$eval('tr.frame', (trs) => trs.map((tr) => Array.from(tr.cells, (c) => c.textContent)));
  assert.equal(rows[0][5], '37 fa 21 3d');
  assert.equal(rows[0][7], 'Hello');
  assert.match(rows[1][4], /close/);
  const events = await page.$$eval('.event', (es) => es.map((e) => e.textContent));
  assert.ok(events.some((e) => e.startsWith('close received') && e.includes('code 1000') && e.includes('"bye"')), events.join('\n'));
  // The frame after the close frame has a reserved opcode: the header cannot be decoded.
  const err = await page.$eval('.error[data-close-code]', (e) => [e.textContent, e.dataset.closeCode]);
  assert.match(err[0], /reserved_opcode/);
  assert.equal(err[1], '1002');
});

test('bad input is reported, not thrown', { timeout: 30_000 }, async () => {
  await page.fill('#data', 'zz not a capture');
  await page.selectOption('#format', 'hex');
  await page.click('#decode');
  assert.match(await page.textContent('#status'), /not valid hex/);
  await page.selectOption('#format', 'auto');
});
