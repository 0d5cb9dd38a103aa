// Registers every shared vector (tests/vectors/*.json) as a node:test case for a wsengine JS
// API: the Node binding's suite and the wasm build's suite under Node both call this.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkCase } from './runner.mjs';

const dir = path.dirname(fileURLToPath(import.meta.url));

export function registerVectorTests(api) {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  assert.ok(files.length > 0, 'no vector files');
  let count = 0;
  for (const file of files) {
    const { cases } = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    for (const c of cases) {
      if (!c.steps) continue; // codec-level vectors run in the core's unit tests
      count++;
      const skip = c.requires === 'deflate' && !api.deflateSupported ? 'built without deflate' : false;
      test(`${file}: ${c.name}`, { skip }, () => {
        assert.deepEqual(checkCase(api, c), []);
      });
    }
  }
  test('the vectors are all there', () => assert.ok(count > 100, `only ${count} vectors`));
}
