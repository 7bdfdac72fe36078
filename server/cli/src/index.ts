// x402-casper: what other code may import besides the command (the demo site, for suites
// that pay it).
export { createDemoApp, DEMO_PRICES } from './demo/app.js';
export type { DemoConfig } from './demo/config.js';
