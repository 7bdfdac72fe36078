export { createFacilitator, type Facilitator, startFacilitator } from './app.js';
export type { Chain } from './chain.js';
export { facilitatorCommand } from './command.js';
export {
  type AssetConfig,
  ENV_PREFIX,
  envNames,
  type FacilitatorConfig,
  loadConfig,
  type NetworkConfig,
  parseConfig,
} from './config.js';
export { Engine, type EngineParts, partsOf, supportedResponse } from './engine.js';
export type { ChainOf } from './network.js';
export { ExactCasperFacilitatorScheme } from './scheme.js';
