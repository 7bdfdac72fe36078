export { createFacilitator, type Facilitator, startFacilitator } from './app.js';
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
export { Engine, supportedResponse } from './engine.js';
export { ExactCasperFacilitatorScheme } from './scheme.js';
