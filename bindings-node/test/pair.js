'use strict';
// A client and a server Connection, opened to each other in memory (no compression), for tests
// that feed one side's output to the other. No tests of its own.
const { Connection } = require('..');

function pair(serverOptions = {}) {
  const c = Connection.client('ws://x/', { deflate: false });
  const s = Connection.server({ deflate: false, ...serverOptions });
  s.receive(c.takeOutput(), 0);
  s.accept();
  s.pollEvents();
  c.receive(s.takeOutput(), 0);
  c.pollEvents();
  return { c, s };
}

module.exports = { pair };
