/// <reference types="node" />
// The Node binding's payload and socket types for the shared lib/engine.d.ts.
export type Payload = Buffer;
export type { Socket } from 'net';
