#!/usr/bin/env node
'use strict';
// A server on Node's `http`: plain requests get a page, 'upgrade' requests become WebSockets
// (the request head Node parsed is handed to the engine, which validates it itself).
//   node examples/http-server.js [port]     then open http://127.0.0.1:<port>/ in a browser
const http = require('http');
const { Connection, attach, upgradeRequestBytes } = require('..');

const PAGE = `<!doctype html><meta charset="utf-8"><title>wsengine</title>
<pre id="log"></pre>
<script>
const ws = new WebSocket('ws://' + location.host + '/echo');
const log = (s) => (document.getElementById('log').textContent += s + '\\n');
ws.onopen = () => { log('open'); ws.send('hello from the browser'); };
ws.onmessage = (e) => log('echo: ' + e.data);
ws.onclose = (e) => log('close ' + e.code + ' ' + e.reason);
</script>`;

function start({ port = 0, host = '127.0.0.1', options = {} } = {}) {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(PAGE);
  });
  server.on('upgrade', (req, socket, head) => {
    socket.setNoDelay(true);
    const conn = Connection.server(options);
    const onEvent = (ev) => {
      switch (ev.type) {
        case 'request':
          if (ev.path !== '/echo') {
            conn.reject(404, { 'Content-Type': 'text/plain' }, 'no such endpoint\n');
          } else {
            conn.accept({ headers: { 'X-Powered-By': 'wsengine' } });
          }
          driver.dispatch(conn.pollEvents());
          break;
        case 'text':
          if (ev.data.startsWith('close:')) conn.closeWith(Number(ev.data.slice(6)), 'as asked');
          // A message can arrive in the same read as the peer's close or a bad frame:
          // it can still be answered (before our close frame).
          else if (conn.canSend) conn.sendText(ev.data);
          break;
        case 'binary':
          if (conn.canSend) conn.sendBinary(ev.data);
          break;
        default:
          break;
      }
    };
    const now = performance.now();
    const first = conn.receive(upgradeRequestBytes(req), now);
    const driver = attach(conn, socket, onEvent, { initialEvents: [] });
    driver.dispatch(first);
    if (head && head.length) driver.dispatch(conn.receive(head, performance.now()));
  });
  return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
}

module.exports = { start };

if (require.main === module) {
  start({ port: Number(process.argv[2] || 8080), options: { deflate: require('..').deflateSupported } }).then((s) => {
    console.log(`open http://127.0.0.1:${s.address().port}/ (WebSocket endpoint: /echo)`);
  });
}
