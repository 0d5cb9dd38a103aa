// The web entry: `await init()` before using the exports.
export * from './index';
import type * as Api from './index';
export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;
export default function init(input?: InitInput | { module_or_path: InitInput | Promise<InitInput> }): Promise<typeof Api>;
