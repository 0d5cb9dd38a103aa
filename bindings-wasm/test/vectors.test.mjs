// The shared vectors (tests/vectors/*.json) against the wasm build under Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { checkCase } from './vector-runner.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const api = createRequire(import.meta.url)('..');
const dir = path.join(here, '..', '..', 'tests', 'vectors');

const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
assert.ok(files.length > 0, 'no vector files');
for (const file of files) {
  const { cases } = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  for (const c of cases) {
    const skip = c.requires === 'deflate' && !api.deflateSupported ? 'built without deflate' : false;
    test(`${file}: ${c.name}`, { skip }, () => {
      const problems = checkCase(api, c);
      assert.deepEqual(problems, []);
    });
  }
}
