import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CasperRpcError, CasperRpcUnavailableError } from '@x402-casper/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChainReader, chainErrorWords } from '../lib/chain.js';
import { vectors } from './helpers.js';

const [holder, stranger] = vectors.keys;
const PACKAGE = 'aa'.repeat(32);
const OLD_CONTRACT = 'bb'.repeat(32);
const CONTRACT = 'cc'.repeat(32);
const ROOT = '08'.repeat(32);
const calls: { method: string; params: Record<string, unknown> }[] = [];
let server: Server;
let url: string;

/** A node answering like the OpenRPC examples: a package with an old and a current contract. */
function answer(method: string, params: Record<string, unknown>): unknown {
  switch (method) {
    case 'query_balance':
      if (
        (params.purse_identifier as Record<string, string>).main_purse_under_public_key ===
        holder!.publicKey
      ) {
        return { result: { api_version: '2.0.0', balance: '2500000000000' } };
      }
      return { error: { code: -32026, message: 'Purse not found' } };
    case 'info_get_status':
      return {
        result: {
          api_version: '2.0.0',
          last_added_block_info: {
            height: 7,
            timestamp: '2026-12-01T10:00:00.000Z',
            state_root_hash: ROOT,
          },
        },
      };
    case 'query_global_state':
      if (params.key !== `hash-${PACKAGE}`)
        return { error: { code: -32003, message: 'No such key' } };
      return {
        result: {
          api_version: '2.0.0',
          merkle_proof: '',
          stored_value: {
            ContractPackage: {
              access_key: 'uref-00-007',
              versions: [
                {
                  protocol_version_major: 2,
                  contract_version: 1,
                  contract_hash: `contract-${OLD_CONTRACT}`,
                },
                {
                  protocol_version_major: 2,
                  contract_version: 2,
                  contract_hash: `contract-${CONTRACT}`,
                },
              ],
              disabled_versions: [],
              groups: [],
              lock_status: 'Unlocked',
            },
          },
        },
      };
    case 'state_get_dictionary_item': {
      const id = (params.dictionary_identifier as { ContractNamedKey: Record<string, string> })
        .ContractNamedKey;
      if (
        id.key !== `hash-${CONTRACT}` ||
        id.dictionary_name !== 'balances' ||
        params.state_root_hash !== ROOT
      ) {
        return { error: { code: -32602, message: 'bad params' } };
      }
      if (id.dictionary_item_key === holder!.balancesItemKey) {
        // U256 1,234,567 = 0x12d687, little-endian after a length byte.
        return {
          result: {
            api_version: '2.0.0',
            stored_value: { CLValue: { cl_type: 'U256', bytes: '0387d612', parsed: '1234567' } },
          },
        };
      }
      return { error: { code: -32003, message: 'No such dictionary item' } };
    }
    default:
      return { error: { code: -32601, message: 'Method not found' } };
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const request = JSON.parse(body) as {
        id: number;
        method: string;
        params: Record<string, unknown>;
      };
      calls.push({ method: request.method, params: request.params });
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          jsonrpc: '2.0',
          id: request.id,
          ...(answer(request.method, request.params) as object),
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/rpc`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('balances from the chain', () => {
  it('reads CSPR with query_balance on the main purse of the public key', async () => {
    const reader = new ChainReader(url);
    expect(await reader.csprBalance(holder!.publicKey)).toBe(2_500_000_000_000n);
    // An account the chain has never seen (no main purse yet) holds nothing.
    expect(await reader.csprBalance(stranger!.publicKey)).toBe(0n);
    expect(await reader.chainTimeMs()).toBe(Date.parse('2026-12-01T10:00:00.000Z'));
  });

  it('reads a CEP-18 balance from the current contract of the token package', async () => {
    const reader = new ChainReader(url);
    expect(await reader.tokenBalance(PACKAGE, holder!.address)).toBe(1_234_567n);
    // A missing item is a zero balance, not an error.
    expect(await reader.tokenBalance(PACKAGE, stranger!.address)).toBe(0n);
    // The package → contract lookup is done once.
    expect(calls.filter((c) => c.method === 'query_global_state')).toHaveLength(1);
    await expect(reader.tokenBalance('dd'.repeat(32), holder!.address)).rejects.toBeInstanceOf(
      CasperRpcError,
    );
  });

  it('says clearly when the node cannot be reached', async () => {
    const reader = new ChainReader('http://127.0.0.1:1/rpc');
    const error = await reader.csprBalance(holder!.publicKey).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CasperRpcUnavailableError);
    expect(chainErrorWords(error)).toMatch(/^The node could not answer: .*cannot reach/);
    expect(chainErrorWords(new Error('x'))).toBeUndefined();
  });
});

describe('a transaction the node knows only as a Deploy', () => {
  it('is read as a Deploy when the node knows no TransactionV1 by that hash, with a legacy execution result', async () => {
    const { FakeChain } = await import('./helpers.js');
    const fake = new FakeChain(Date.now());
    const reader = new ChainReader('http://node.test/rpc', fake.fetch);
    const deploy = (execution_result: unknown) => ({
      api_version: '2.0.0',
      transaction: { Deploy: { hash: 'de'.repeat(32), session: { Transfer: { args: [] } } } },
      execution_info: { block_hash: '1f'.repeat(32), block_height: 3, execution_result },
    });
    fake.deploys.set('d1'.repeat(32), deploy({ Version2: { error_message: null } }));
    fake.deploys.set(
      'd2'.repeat(32),
      deploy({ Version1: { Failure: { error_message: 'Out of gas' } } }),
    );
    fake.deploys.set('d3'.repeat(32), deploy({ Version1: { Success: { cost: '1' } } }));
    fake.deploys.set('d4'.repeat(32), { ...deploy(null), execution_info: null });
    expect(await reader.transaction('d1'.repeat(32))).toEqual({ state: 'executed' });
    expect(await reader.transaction('d2'.repeat(32))).toEqual({
      state: 'reverted',
      error: 'Out of gas',
    });
    expect(await reader.transaction('d3'.repeat(32))).toEqual({ state: 'executed' });
    expect(await reader.transaction('d4'.repeat(32))).toEqual({ state: 'pending' });
    expect(await reader.transaction('d5'.repeat(32))).toEqual({ state: 'unknown' });
  });
});
