import { describe, expect, it } from 'vitest';
import { type ContractInfo, layoutOfEntryPoint, parseContract, profileOf } from '../src/index.js';

const BYTES = { List: 'U8' };

function args(amount: string, window: string, extra: Array<[string, unknown]> = []) {
  return [
    ['from', 'Key'],
    ['to', 'Key'],
    [amount, 'U256'],
    ['valid_after', window],
    ['valid_before', window],
    ['nonce', BYTES],
    ['public_key', 'PublicKey'],
    ['signature', BYTES],
    ...extra,
  ].map(([name, clType]) => ({ name: name as string, clType }));
}

/** A `Contract` stored value in the node's JSON shape (query_global_state). */
function contractJson(entryArgs: ReturnType<typeof args> | undefined, namedKeys: string[]) {
  return {
    Contract: {
      contract_package_hash: `contract-package-${'aa'.repeat(32)}`,
      contract_wasm_hash: `contract-wasm-${'bb'.repeat(32)}`,
      named_keys: namedKeys.map((name) => ({ name, key: `uref-${'cc'.repeat(32)}-007` })),
      entry_points: [
        {
          name: 'balance_of',
          entry_point: {
            name: 'balance_of',
            args: [{ name: 'address', cl_type: 'Key' }],
            ret: 'U256',
            access: 'Public',
            entry_point_type: 'Called',
          },
        },
        ...(entryArgs
          ? [
              {
                name: 'transfer_with_authorization',
                entry_point: {
                  name: 'transfer_with_authorization',
                  args: entryArgs.map((arg) => ({ name: arg.name, cl_type: arg.clType })),
                  ret: 'Unit',
                  access: 'Public',
                  entry_point_type: 'Called',
                },
              },
            ]
          : []),
      ],
      protocol_version: '2.0.0',
    },
  };
}

describe('the layout of a transfer_with_authorization entry point', () => {
  it('recognises each deployed layout from its arguments', () => {
    expect(layoutOfEntryPoint(args('amount', 'U64'))).toBe('amount-u64');
    expect(layoutOfEntryPoint(args('value', 'U64'))).toBe('value-u64');
    expect(layoutOfEntryPoint(args('amount', 'U256'))).toBe('amount-u256');
    // Order does not matter: arguments are named.
    expect(layoutOfEntryPoint(args('value', 'U64').reverse())).toBe('value-u64');
  });

  it.each([
    ['a missing argument', args('amount', 'U64').filter((a) => a.name !== 'nonce'), /needs nonce/],
    [
      'a mistyped argument',
      args('amount', 'U64').map((a) => (a.name === 'from' ? { ...a, clType: 'PublicKey' } : a)),
      /needs from: "Key"/,
    ],
    [
      'an amount that is not U256',
      args('amount', 'U64').map((a) => (a.name === 'amount' ? { ...a, clType: 'U512' } : a)),
      /no U256 amount or value/,
    ],
    [
      'windows of two types',
      args('amount', 'U64').map((a) => (a.name === 'valid_before' ? { ...a, clType: 'U256' } : a)),
      /valid_after\/valid_before/,
    ],
    [
      'an argument x402 cannot supply',
      args('amount', 'U64', [['memo', 'String']]),
      /also wants memo: "String"/,
    ],
    ['value with U256 windows', args('value', 'U256'), /no token uses/],
  ])('refuses %s, saying what it takes', (_, entryArgs, problem) => {
    const layout = layoutOfEntryPoint(entryArgs);
    expect(layout).toEqual({ problem: expect.stringMatching(problem) });
  });
});

describe('a token profile read from the chain', () => {
  const contract = (entryArgs: ReturnType<typeof args> | undefined, keys: string[], hash = 'c') =>
    parseContract(hash, contractJson(entryArgs, keys));

  it('reads the layout, where used nonces are kept and which revert codes apply', () => {
    const cep = contract(args('value', 'U64'), ['balances', 'used_nonces', 'name'], 'c1');
    expect(profileOf(cep, undefined)).toEqual({
      usable: true,
      contractHash: 'c1',
      layout: 'value-u64',
      nonces: { kind: 'used_nonces' },
      reverts: 'cep3009',
    });
    const odra = contract(args('amount', 'U256'), ['balances', 'state', '__events'], 'c2');
    expect(profileOf(odra, undefined)).toMatchObject({
      usable: true,
      layout: 'amount-u256',
      nonces: { kind: 'odra-state', field: 2 },
      reverts: 'cep18x402',
    });
    // Another Odra token (its module's fields elsewhere in `state`): its nonces are not read
    // at the proof of concept's place, nor its codes with its table.
    const otherOdra = contract(args('amount', 'U64'), ['balances', 'state'], 'c4');
    expect(profileOf(otherOdra, undefined)).toMatchObject({
      layout: 'amount-u64',
      nonces: { kind: 'unreadable' },
      reverts: 'cep3009',
    });
    expect(profileOf(otherOdra, 'amount-u256')).toMatchObject({
      nonces: { kind: 'odra-state', field: 2 },
      reverts: 'cep18x402',
    });
    const neither = contract(args('amount', 'U64'), ['balances'], 'c3');
    expect(profileOf(neither, undefined)).toMatchObject({
      nonces: { kind: 'unreadable' },
      reverts: 'cep3009',
    });
  });

  it('takes a configured layout over the entry point', () => {
    const info: ContractInfo = contract(args('amount', 'U64'), ['used_nonces']);
    expect(profileOf(info, 'amount-u256')).toMatchObject({ layout: 'amount-u256' });
  });

  it('is unusable without the entry point or with one it cannot call', () => {
    expect(profileOf(contract(undefined, ['used_nonces']), undefined)).toEqual({
      usable: false,
      contractHash: 'c',
      problem: 'the token has no transfer_with_authorization entry point',
    });
    expect(
      profileOf(contract(args('amount', 'U64', [['memo', 'String']]), []), undefined),
    ).toMatchObject({ usable: false, problem: expect.stringContaining('memo') });
  });

  it.each([
    [null],
    [{ Account: {} }],
    [{ ContractPackage: { versions: [] } }],
    [{ Contract: { named_keys: [], entry_points: 'x' } }],
  ])('refuses a stored value that is not a Contract: %j', (value) => {
    expect(() => parseContract('c', value)).toThrow(/not a Contract/);
  });
});
