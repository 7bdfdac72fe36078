export { createFacilitator, type Facilitator, startFacilitator, supportedResponse } from './app.js';
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
