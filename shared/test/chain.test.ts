// The chain domain layer: decoders of what a node answers, the current contract of a 1.x or
// 2.x package, and CasperChain's reads against a node stub over real HTTP answering in the
// shapes of ../shared/reference/casper-rpc-schema.json.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  balancesItemKey,
  CasperChain,
  CasperRpc,
  CasperRpcError,
  CasperRpcUnavailableError,
  currentContractHash,
  decodeString,
  decodeU8,
  decodeUnsigned,
  parseContract,
  UnsupportedTokenError,
  usedNonceItemKey,
} from '../src/index.js';

describe('decodeUnsigned', () => {
  it.each([
    ['00', 256, 0n],
    ['021027', 256, 10_000n],
    ['0400e40b54', 256, 1_410_065_408n],
    [`20${'ff'.repeat(32)}`, 256, (1n << 256n) - 1n],
    [`40${'ff'.repeat(64)}`, 512, (1n << 512n) - 1n],
  ] as const)('%s as U%s is %s', (hex, bits, value) => {
    expect(decodeUnsigned(hex, bits)).toBe(value);
  });

  it.each([
    ['', 256],
    ['02ff', 256],
    ['0301', 256],
    [`21${'00'.repeat(33)}`, 256],
    [`41${'00'.repeat(65)}`, 512],
    [`11${'00'.repeat(17)}`, 128],
  ] as const)('refuses malformed or out-of-range bytes %j (U%s)', (hex, bits) => {
    expect(() => decodeUnsigned(hex, bits)).toThrow(CasperRpcUnavailableError);
  });
});

describe('decodeString and decodeU8', () => {
  it('reads the CLValue bytes a node answers', () => {
    expect(decodeString('0600000043583430322e')).toBe('CX402.');
    expect(decodeString('00000000')).toBe('');
    expect(decodeU8('09')).toBe(9);
  });

  it('refuses bytes that disagree with their length or are not UTF-8', () => {
    expect(() => decodeString('0700000043583430322e')).toThrow(CasperRpcUnavailableError);
    expect(() => decodeString('01000000ff')).toThrow(CasperRpcUnavailableError);
    expect(() => decodeU8('0900')).toThrow(CasperRpcUnavailableError);
  });
});

describe('currentContractHash', () => {
  const version = (major: number, v: number, hash: string) => ({
    protocol_version_major: major,
    contract_version: v,
    contract_hash: `contract-${hash.repeat(32)}`,
  });

  it('takes the highest enabled version of a 1.x ContractPackage', () => {
    const stored = {
      ContractPackage: {
        versions: [
          version(2, 1, 'aa'),
          version(2, 3, 'cc'),
          version(1, 9, 'ee'),
          version(2, 2, 'bb'),
        ],
        disabled_versions: [[2, 3]],
      },
    };
    expect(currentContractHash(stored)).toBe('bb'.repeat(32));
  });

  it('refuses a 2.x Package (of addressable entities) as unsupported, naming its current entity', () => {
    const entry = (major: number, v: number, hash: string) => ({
      entity_version_key: { protocol_version_major: major, entity_version: v },
      addressable_entity_hash: `entity-contract-${hash.repeat(32)}`,
    });
    const stored = {
      Package: {
        versions: [entry(2, 1, 'AA'), entry(2, 2, 'bb')],
        disabled_versions: [{ protocol_version_major: 2, entity_version: 2 }],
      },
    };
    expect(() => currentContractHash(stored)).toThrow(UnsupportedTokenError);
    expect(() => currentContractHash(stored)).toThrow(
      expect.objectContaining({ hash: 'aa'.repeat(32) }),
    );
    expect(() => currentContractHash(stored)).toThrow(
      `its package is a Casper 2.x Package whose current version is the AddressableEntity ${'aa'.repeat(32)}; only Contract versions of a ContractPackage are read`,
    );
    const allDisabled = {
      Package: {
        versions: [entry(2, 1, 'aa')],
        disabled_versions: [{ protocol_version_major: 2, entity_version: 1 }],
      },
    };
    expect(() => currentContractHash(allDisabled)).toThrow(/no enabled contract version/);
  });

  it('refuses what is not a package, has no enabled version or a malformed hash', () => {
    expect(() => currentContractHash({ Account: {} })).toThrow(/not a contract package/);
    expect(() => currentContractHash(null)).toThrow(/not a contract package/);
    expect(() =>
      currentContractHash({
        ContractPackage: { versions: [version(2, 1, 'aa')], disabled_versions: [[2, 1]] },
      }),
    ).toThrow(/no enabled contract version/);
    expect(() =>
      currentContractHash({
        ContractPackage: {
          versions: [{ protocol_version_major: 2, contract_version: 1, contract_hash: 'x' }],
          disabled_versions: [],
        },
      }),
    ).toThrow(CasperRpcUnavailableError);
  });
});

const PACKAGE = 'aa'.repeat(32);
const CONTRACT = 'cc'.repeat(32);
const ROOT = '08'.repeat(32);
const HOLDER = `00${'11'.repeat(32)}`;
const STRANGER = `00${'22'.repeat(32)}`;
const PUBLIC_KEY = `01${'33'.repeat(32)}`;
const NONCE = '44'.repeat(32);
const TRANSACTION = '55'.repeat(32);

/** The named keys of the token contract: each a URef holding a CLValue. */
const UREFS: Record<string, { cl_type: string; bytes: string }> = {
  [`uref-${'01'.repeat(32)}-007`]: { cl_type: 'String', bytes: '0500000043583430' + '32' },
  [`uref-${'02'.repeat(32)}-007`]: { cl_type: 'String', bytes: '05000000435834' + '3032' },
  [`uref-${'03'.repeat(32)}-007`]: { cl_type: 'U8', bytes: '09' },
};

/** The newest block `chain_get_block` answers, as a 2.x node writes it (the schema's example). */
let newestBlock: unknown = {
  Version2: {
    hash: '1f'.repeat(32),
    header: {
      parent_hash: '07'.repeat(32),
      state_root_hash: ROOT,
      timestamp: '2026-12-01T10:00:00.000Z',
      era_id: 1,
      height: 42,
      protocol_version: '2.0.0',
    },
    body: {
      transactions: {
        '0': [{ Version1: '14'.repeat(32) }],
        '3': [{ Version1: TRANSACTION.toUpperCase() }, { Deploy: '16'.repeat(32) }],
      },
      rewarded_signatures: [],
    },
  },
};

function answer(method: string, params: Record<string, unknown>): unknown {
  const root = (params.state_identifier as { StateRootHash?: string } | undefined)?.StateRootHash;
  switch (method) {
    case 'info_get_status':
      return {
        result: {
          last_added_block_info: {
            height: 42,
            timestamp: '2026-12-01T10:00:00.000Z',
            state_root_hash: ROOT,
          },
        },
      };
    case 'chain_get_block':
      return { result: { block_with_signatures: { block: newestBlock, proofs: [] } } };
    case 'query_balance':
      if (root !== ROOT) return { error: { code: -32602, message: 'bad params' } };
      return (params.purse_identifier as Record<string, string>).main_purse_under_public_key ===
        PUBLIC_KEY
        ? { result: { balance: '2500000000000' } }
        : { error: { code: -32026, message: 'Purse not found' } };
    case 'query_global_state': {
      if (root !== ROOT) return { error: { code: -32602, message: 'bad params' } };
      if (params.key === `hash-${PACKAGE}`) {
        return {
          result: {
            stored_value: {
              ContractPackage: {
                versions: [
                  {
                    protocol_version_major: 2,
                    contract_version: 1,
                    contract_hash: `contract-${CONTRACT}`,
                  },
                ],
                disabled_versions: [],
              },
            },
          },
        };
      }
      if (params.key === `hash-${CONTRACT}`) {
        return {
          result: {
            stored_value: {
              Contract: {
                named_keys: [
                  { name: 'name', key: `uref-${'01'.repeat(32)}-007` },
                  { name: 'symbol', key: `uref-${'02'.repeat(32)}-007` },
                  { name: 'decimals', key: `uref-${'03'.repeat(32)}-007` },
                  { name: 'used_nonces', key: `uref-${'04'.repeat(32)}-007` },
                ],
                entry_points: [
                  {
                    name: 'cancel_authorization',
                    entry_point: { name: 'cancel_authorization', args: [] },
                  },
                ],
              },
            },
          },
        };
      }
      const value = UREFS[params.key as string];
      return value
        ? { result: { stored_value: { CLValue: value } } }
        : { error: { code: -32003, message: 'No such key' } };
    }
    case 'state_get_dictionary_item': {
      const id = (params.dictionary_identifier as { ContractNamedKey: Record<string, string> })
        .ContractNamedKey;
      if (params.state_root_hash !== ROOT || id.key !== `hash-${CONTRACT}`) {
        return { error: { code: -32602, message: 'bad params' } };
      }
      if (id.dictionary_name === 'balances' && id.dictionary_item_key === balancesItemKey(HOLDER)) {
        return { result: { stored_value: { CLValue: { cl_type: 'U256', bytes: '0387d612' } } } };
      }
      if (
        id.dictionary_name === 'used_nonces' &&
        id.dictionary_item_key === usedNonceItemKey(HOLDER, NONCE)
      ) {
        return { result: { stored_value: { CLValue: { cl_type: 'Bool', bytes: '01' } } } };
      }
      if (id.dictionary_name === 'broken') {
        return { result: { stored_value: { Account: {} } } };
      }
      return { error: { code: -32003, message: 'Query failed' } };
    }
    case 'account_put_transaction':
      return { result: { transaction_hash: { Version1: TRANSACTION } } };
    case 'info_get_transaction': {
      const hash = (params.transaction_hash as { Version1: string }).Version1;
      if (hash === TRANSACTION) {
        return {
          result: {
            execution_info: {
              block_height: 43,
              execution_result: { Version2: { error_message: 'User error: 3' } },
            },
          },
        };
      }
      if (hash === 'aa'.repeat(32)) return { result: { execution_info: null } };
      // A success as a 2.x node writes it (the schema's required fields), and a result with none
      // of them.
      const result = (Version2: object) => ({
        result: { execution_info: { block_height: 44, execution_result: { Version2 } } },
      });
      if (hash === 'cc'.repeat(32)) {
        return result({
          initiator: { PublicKey: `01${'0b'.repeat(32)}` },
          limit: '2500000000',
          consumed: '1200000000',
          cost: '2500000000',
          transfers: [],
          size_estimate: 400,
          effects: [],
        });
      }
      if (hash === 'dd'.repeat(32)) return result({});
      return { error: { code: -32014, message: 'No such transaction' } };
    }
    default:
      return { error: { code: -32601, message: 'Method not found' } };
  }
}

let server: Server;
let chain: CasperChain;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const request = JSON.parse(body) as { id: number; method: string; params?: object };
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          jsonrpc: '2.0',
          id: request.id,
          ...(answer(request.method, (request.params ?? {}) as Record<string, unknown>) as object),
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  chain = new CasperChain(new CasperRpc(`http://127.0.0.1:${port}/rpc`));
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('CasperChain', () => {
  it('reads the newest block, and balances against its state root', async () => {
    expect(await chain.newestBlock()).toEqual({
      height: 42,
      timestampMs: Date.parse('2026-12-01T10:00:00.000Z'),
      stateRootHash: ROOT,
    });
    expect(await chain.accountBalance(PUBLIC_KEY, ROOT)).toBe(2_500_000_000_000n);
    // An account the chain has never seen holds nothing.
    expect(await chain.accountBalance(`01${'99'.repeat(32)}`, ROOT)).toBe(0n);
  });

  it('reads the newest block with the transactions of its lanes (TransactionV1 hashes)', async () => {
    const listed = await chain.newestBlockListed();
    expect(listed).toEqual({
      height: 42,
      timestampMs: Date.parse('2026-12-01T10:00:00.000Z'),
      stateRootHash: ROOT,
      transactions: new Set(['14'.repeat(32), TRANSACTION]),
    });
    const latest = newestBlock;
    try {
      // A 1.x block holds deploys only: what it holds is not listed.
      newestBlock = {
        Version1: {
          hash: '1f'.repeat(32),
          header: { state_root_hash: ROOT, timestamp: '2026-12-01T10:00:00.000Z', height: 42 },
          body: { deploy_hashes: [], transfer_hashes: [] },
        },
      };
      expect((await chain.newestBlockListed()).transactions).toBeUndefined();
      // A 2.x block whose list is missing, or holds an entry of a kind not known here.
      const header = { state_root_hash: ROOT, timestamp: '2026-12-01T10:00:00.000Z', height: 42 };
      newestBlock = { Version2: { header, body: {} } };
      expect((await chain.newestBlockListed()).transactions).toBeUndefined();
      newestBlock = {
        Version2: { header, body: { transactions: { '3': [{ V1: TRANSACTION }] } } },
      };
      expect((await chain.newestBlockListed()).transactions).toBeUndefined();
      newestBlock = { Version2: { header: { height: 42, timestamp: 'soon' } } };
      await expect(chain.newestBlockListed()).rejects.toThrow(
        "the node's chain_get_block answer is malformed",
      );
    } finally {
      newestBlock = latest;
    }
  });

  it('finds the current contract of a package, its named keys, entry points and metadata', async () => {
    const hash = await chain.contractHash(PACKAGE, ROOT);
    expect(hash).toBe(CONTRACT);
    const contract = await chain.contract(hash, ROOT);
    expect([...contract.namedKeys.keys()]).toEqual(['name', 'symbol', 'decimals', 'used_nonces']);
    expect(contract.entryPoints.get('cancel_authorization')).toEqual([]);
    expect(await chain.tokenMetadata(contract, ROOT)).toEqual({
      name: 'CX402',
      symbol: 'CX402',
      decimals: 9,
    });
    await expect(chain.contractHash('dd'.repeat(32), ROOT)).rejects.toBeInstanceOf(CasperRpcError);
  });

  it('reads balances and nonces from dictionaries; a missing item is zero or unused', async () => {
    expect(await chain.tokenBalance(CONTRACT, HOLDER, ROOT)).toBe(1_234_567n);
    expect(await chain.tokenBalance(CONTRACT, STRANGER, ROOT)).toBe(0n);
    const store = { kind: 'used_nonces' } as const;
    expect(await chain.nonceUsed(CONTRACT, store, HOLDER, NONCE, ROOT)).toBe(true);
    expect(await chain.nonceUsed(CONTRACT, store, STRANGER, NONCE, ROOT)).toBe(false);
    await expect(chain.dictionaryItem(CONTRACT, 'broken', 'x', ROOT)).rejects.toBeInstanceOf(
      CasperRpcUnavailableError,
    );
  });

  it('sends a transaction and follows it: unknown, pending, executed with the node words', async () => {
    expect(await chain.submit({ hash: TRANSACTION, payload: {}, approvals: [] })).toBe(TRANSACTION);
    expect(await chain.execution(TRANSACTION)).toEqual({
      state: 'executed',
      blockHeight: 43,
      errorMessage: 'User error: 3',
    });
    expect(await chain.execution('aa'.repeat(32))).toEqual({ state: 'pending' });
    expect(await chain.execution('bb'.repeat(32))).toEqual({ state: 'unknown' });
  });

  it('takes a success only from a whole execution result: without an error message, and with its effects', async () => {
    expect(await chain.execution('cc'.repeat(32))).toEqual({
      state: 'executed',
      blockHeight: 44,
      errorMessage: null,
    });
    await expect(chain.execution('dd'.repeat(32))).rejects.toThrow(
      new CasperRpcUnavailableError("the node's execution result (no effects) is malformed"),
    );
  });

  it('says the node cannot be reached, typed', async () => {
    const away = new CasperChain(new CasperRpc('http://127.0.0.1:1/rpc', { timeoutMs: 2000 }));
    await expect(away.newestBlock()).rejects.toBeInstanceOf(CasperRpcUnavailableError);
  });

  it('says the node did not answer in time, naming the method and the limit', async () => {
    const silent = createServer(() => undefined); // takes the request, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const rpc = new CasperRpc(`http://127.0.0.1:${port}/rpc`, { timeoutMs: 100 });
      const error = await rpc.call('info_get_status').catch((reason: unknown) => reason);
      expect(error).toBeInstanceOf(CasperRpcUnavailableError);
      expect((error as Error).message).toBe('info_get_status: no answer within 100 ms');
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('parseContract', () => {
  it('reads entry points named at either level, with their argument types', () => {
    const contract = parseContract('c', {
      Contract: {
        named_keys: [{ name: 'balances', key: 'uref-x-007' }, { name: 7 }],
        entry_points: [
          { name: 'a', entry_point: { args: [{ name: 'x', cl_type: 'U64' }, { cl_type: 'U8' }] } },
          { entry_point: { name: 'b', args: [] } },
        ],
      },
    });
    expect(contract.namedKeys).toEqual(new Map([['balances', 'uref-x-007']]));
    expect(contract.entryPoints).toEqual(
      new Map([
        ['a', [{ name: 'x', clType: 'U64' }]],
        ['b', []],
      ]),
    );
  });
});
