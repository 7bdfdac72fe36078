export * from './bytes.js';
export * from './casper/address.js';
export * from './casper/keys.js';
export * from './casper/network.js';
export * from './casper/pem.js';
export * from './eip712.js';
export * from './errors.js';
export * from './uint.js';
