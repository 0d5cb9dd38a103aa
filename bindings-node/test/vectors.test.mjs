// The shared vectors (tests/vectors/*.json) against the Node binding, whole and byte by byte
// (the runner is shared with the wasm build's suites).
import { createRequire } from 'node:module';
import { registerVectorTests } from '../../tests/vectors/node-tests.mjs';

registerVectorTests(createRequire(import.meta.url)('..'));
