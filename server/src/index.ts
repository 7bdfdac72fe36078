// @x402-casper/server: what other code may import (the CLI is the rest of the package).
export { createDemoApp } from './demo/app.js';
export type { DemoConfig } from './demo/config.js';
export {
  type Devnet,
  type DevnetOptions,
  type DevnetToken,
  type GenesisContract,
  startDevnet,
} from './devnet/index.js';
export * from './ecosystem/index.js';
export {
  type Facilitator,
  type FacilitatorConfig,
  parseConfig,
  startFacilitator,
} from './facilitator/index.js';
export * from './paywall/index.js';
