export { ExactCasperFacilitatorScheme } from './facilitator.js';
