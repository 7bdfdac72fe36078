export { ExactCasperClientScheme, type PaymentPayloadContext } from './client.js';
export { type CasperAsset, ExactCasperServerScheme } from './server.js';
