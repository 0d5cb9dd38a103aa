// The shared vectors (tests/vectors/*.json) against the wasm build under Node, whole and byte
// by byte (the runner is shared with the Node binding and the browser page).
import { createRequire } from 'node:module';
import { registerVectorTests } from '../../tests/vectors/node-tests.mjs';

registerVectorTests(createRequire(import.meta.url)('..'));
