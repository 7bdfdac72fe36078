// Test support for the server packages' suites (devnet, facilitator, fastify, cli).

export * from './bench.js';
export * from './config.js';
export * from './http.js';
export * from './payments.js';
export * from './peers/go-example-server.js';
export * from './peers/go-facilitator.js';
export * from './rpc.js';
export * from './sdk.js';
export * from './stub-facilitator.js';
export * from './transactions.js';
export * from './wasm.js';
