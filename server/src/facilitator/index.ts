export { createFacilitator, type Facilitator, startFacilitator } from './app.js';
export {
  ARG_LAYOUTS,
  type ArgLayout,
  type AssetConfig,
  ENV_PREFIX,
  envNames,
  type FacilitatorConfig,
  loadConfig,
  type NetworkConfig,
  parseConfig,
} from './config.js';
export { Engine, supportedResponse } from './engine.js';
