export * from './facilitator-client.js';
export { paywallPage } from './page.js';
export * from './plugin.js';
