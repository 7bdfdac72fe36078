// @x402-casper/server: what other code may import (the CLI is the rest of the package).
export * from './ecosystem/index.js';
export * from './paywall/index.js';
