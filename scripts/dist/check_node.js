'use strict';
// Checks an installed npm package (wsengine or wsengine-wasm) as a user gets it: the version
// export, then a client on the sans-IO engine over a net.Socket echoes a text and a binary
// message through a `ws` server (a peer we did not write) and closes cleanly.
//
//   node check_node.js <package name> <expected version>
const assert = require('assert');
const net = require('net');
const { WebSocketServer } = require('ws');

const [name, expected] = process.argv.slice(2);
const lib = require(name);
assert.strictEqual(lib.version, expected, `${name}.version`);

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
wss.on('listening', () => {
  const { port } = wss.address();
  const socket = net.connect(port, '127.0.0.1');
  const conn = lib.Connection.client(`ws://127.0.0.1:${port}/echo`);
  const got = [];
  const giveUp = setTimeout(() => {
    console.error(`${name}: no echo within 10 s`);
    process.exit(1);
  }, 10000);
  let driver;
  socket.on('connect', () => {
    driver = lib.attach(conn, socket, (ev) => {
      if (ev.type === 'open') {
        conn.sendText('héllo from wsengine');
        conn.sendBinary(Buffer.from([0, 1, 2, 255]));
        driver.flush();
      } else if (ev.type === 'text' || ev.type === 'binary') {
        got.push(ev.type === 'text' ? ev.data : Buffer.from(ev.data).toString('hex'));
        if (got.length === 2) {
          conn.close(1000, 'done');
          driver.flush();
        }
      } else if (ev.type === 'failed') {
        console.error(`${name}: connection failed`, ev);
        process.exit(1);
      } else if (ev.type === 'closed') {
        clearTimeout(giveUp);
        assert.deepStrictEqual(got, ['héllo from wsengine', '000102ff']);
        assert.strictEqual(ev.code, 1000);
        assert.strictEqual(ev.wasClean, true);
        console.log(`${name} ${lib.version} from ${require.resolve(name)}: echo through ws ok`);
        wss.close();
      }
    });
  });
});
