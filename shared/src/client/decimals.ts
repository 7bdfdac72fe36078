// A token's decimals as the chain keeps them: what a payer converts its token-unit limits with.
// A site's `extra.decimals` is its own claim (the signed authorization does not cover it), so a
// site that said 18 for a 6-decimal token would otherwise be paid 10^12 times the limit.
import { CasperChain } from '../casper/chain.js';
import { CasperRpc } from '../casper/rpc.js';

/** Where a payer learns a token's decimals: undefined when it cannot tell for this network. */
export type DecimalsOf = (
  network: string,
  packageHash: string,
) => Promise<number | undefined> | number | undefined;

/**
 * Reads a CEP-18 token's decimals from the `decimals` named key of its package's current
 * contract at the newest block, through the node of its network: `nodes` is one JSON-RPC URL
 * for every network, or one per CAIP-2 network (a network without one: undefined). A token's
 * decimals do not change, so each is read once; a failed read is tried again next time.
 */
export function decimalsFromChain(nodes: string | Readonly<Record<string, string>>): DecimalsOf {
  const chains = new Map<string, CasperChain>();
  const read = new Map<string, Promise<number>>();
  const chainOf = (network: string): CasperChain | undefined => {
    const url = typeof nodes === 'string' ? nodes : Object.hasOwn(nodes, network) && nodes[network];
    if (!url) return undefined;
    let chain = chains.get(url);
    if (!chain) {
      chain = new CasperChain(new CasperRpc(url));
      chains.set(url, chain);
    }
    return chain;
  };
  return (network, packageHash) => {
    const chain = chainOf(network);
    if (!chain) return undefined;
    const key = `${network}|${packageHash.toLowerCase()}`;
    let decimals = read.get(key);
    if (!decimals) {
      decimals = (async () => {
        const { stateRootHash } = await chain.newestBlock();
        const contract = await chain.contract(
          await chain.contractHash(packageHash, stateRootHash),
          stateRootHash,
        );
        return (await chain.tokenMetadata(contract, stateRootHash)).decimals;
      })();
      read.set(key, decimals);
      decimals.catch(() => read.delete(key));
    }
    return decimals;
  };
}
