// wsengine-wasm for browsers, Deno and Cloudflare Workers: `await init()` once, then the same
// API as the Node binding (payloads are Uint8Arrays).
//
//   import init, { Connection } from 'wsengine-wasm/web';
//   await init();                       // fetches wsengine_wasm_bg.wasm next to the glue
//   await init({ module_or_path: u });  // or: a URL, Response, bytes or WebAssembly.Module
import initWasm, * as native from './pkg/web/wsengine_wasm.js';
import createApi from './pkg/api.mjs';

const decoder = new TextDecoder();
let api = null;

/** Loads the wasm module (idempotent); resolves to the API object. */
export default async function init(input) {
  if (api) return api;
  await initWasm(input);
  api = createApi(native, {
    bytes: (u8) => u8,
    copy: (view) => view.slice(),
    text: (u8, start, end) => decoder.decode(u8.subarray(start, end)),
  });
  Connection = api.Connection;
  Inspector = api.Inspector;
  upgradeRequestBytes = api.upgradeRequestBytes;
  attach = api.attach;
  deflateSupported = api.deflateSupported;
  return api;
}

/* eslint-disable prefer-const */
export let Connection;
export let Inspector;
export let upgradeRequestBytes;
export let attach;
export let deflateSupported;
/** The package's version (the same for every wsengine package). */
export { version } from './pkg/version.mjs';
