/**
 * Wallet options for suites against a site that checks payments' shape only and never settles
 * them: the wallet's node is unreachable (the discard port), so it goes by what the site reports.
 */
export const NO_CHAIN = { rpcUrl: 'http://127.0.0.1:9/rpc' };
