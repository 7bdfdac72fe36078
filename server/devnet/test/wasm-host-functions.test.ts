// Host functions one by one, each called by a small module run on the devnet's Wasm host,
// asserting what it returns, writes or leaves in the host buffer as the node defines it
// (casper-network/casper-node execution_engine/src/runtime/externals.rs, runtime/mod.rs,
// types/src/system/caller/call_stack_elements.rs). Results reach the test as the value of a
// new URef (`keep`, `keepHostBuffer`) or as a revert code (`revertWith`).
import {
  blake2b256,
  bytesToHex,
  concatBytes,
  hexToBytes,
  signDigest,
  stringBytes,
  utf8ToBytes,
} from '@x402-casper/shared';
import { beforeAll, describe, expect, it } from 'vitest';
import { cloneState, type WorldState } from '../src/state.js';
import { hostCost } from '../src/wasm/costs.js';
import { wasmValue } from '../src/wasm/store.js';
import {
  account,
  entryPointsBytes,
  hostBufferReader,
  hostCall,
  INSTALL_AT,
  installCalls,
  keep,
  keepHostBuffer,
  type ModuleSpec,
  newChain,
  OUT,
  op,
  otherAccount,
  revertUnlessOk,
  revertWith,
  revertWithUserError,
  run,
  wasmModule,
  writtenValues,
} from './wasm-kit.js';

const chain = newChain();
const text = (value: string) => [...utf8ToBytes(value)];
/** A bytesrepr String (u32 length, UTF-8): how names of keys and entry points are passed. */
const str = (value: string) => [...stringBytes(value)];
const kept = (result: ReturnType<typeof run>) => {
  expect(result.errorMessage).toBeNull();
  return writtenValues(result)
    .filter((value) => value.cl_type === 'Any')
    .map((value) => value.bytes);
};

// ---- a stored contract: installed by its own `call`, with entry points probing the host

const CONTRACT: ModuleSpec = {
  imports: [
    'casper_create_contract_package_at_hash',
    'casper_add_contract_version',
    'casper_put_key',
    'casper_load_call_stack',
    'casper_read_host_buffer',
    'casper_new_uref',
    'casper_revert',
    'casper_ret',
    'casper_manage_message_topic',
    'casper_emit_message',
  ],
};
const INSTALL = installCalls(
  CONTRACT,
  entryPointsBytes(['stack', 'answer', 'topic', 'unregistered']),
);
const at = INSTALL_AT;
const entry = (name: string, code: number[]) => ({ export: name, code });
const topic = () => hostCall(CONTRACT, 'casper_manage_message_topic', [0x600, 6, 0x610, 1]);
const emit = () => hostCall(CONTRACT, 'casper_emit_message', [0x600, 6, 0x620, 7]);
const contractWasm = wasmModule({
  ...CONTRACT,
  call: [
    ...INSTALL.code,
    ...hostCall(CONTRACT, 'casper_put_key', [0x100, 7, at.package - 1, 33]),
    ...hostCall(CONTRACT, 'casper_put_key', [0x110, 12, at.contract - 1, 33]),
  ],
  functions: [
    entry('stack', [
      ...hostCall(CONTRACT, 'casper_load_call_stack', [0x800, 0x804]),
      ...revertUnlessOk(CONTRACT, 2),
      ...keepHostBuffer(CONTRACT, 0x804),
    ]),
    entry('answer', hostCall(CONTRACT, 'casper_ret', [0x700, 9])),
    entry('topic', [
      ...topic(),
      ...revertUnlessOk(CONTRACT, 3),
      ...emit(),
      ...revertUnlessOk(CONTRACT, 4),
      ...topic(),
      ...revertWith(CONTRACT),
    ]),
    entry('unregistered', [...emit(), ...revertWith(CONTRACT)]),
  ],
  data: [
    ...INSTALL.data,
    [0x100, str('pkg')],
    [0x110, str('contract')],
    [at.package - 1, [0x01]],
    [at.contract - 1, [0x01]],
    [0x600, text('events')],
    [0x610, [0x00]],
    // MessagePayload::String("hi")
    [0x620, [0x00, 2, 0, 0, 0, ...text('hi')]],
    // CLValue U32 7
    [0x700, [4, 0, 0, 0, 7, 0, 0, 0, 0x04]],
  ],
});

let installed: WorldState;
let packageHash: string;
let contractHash: string;

beforeAll(() => {
  const result = run(chain, contractWasm, { gasLimit: 500_000_000_000n });
  expect(result.errorMessage).toBeNull();
  installed = result.state;
  const namedKeys = installed.accounts[account!.accountHash]!.namedKeys!;
  packageHash = namedKeys.pkg!.slice('hash-'.length);
  contractHash = namedKeys.contract!.slice('hash-'.length);
});

const stored = (entryPoint: string) =>
  run(chain, contractWasm, {
    state: cloneState(installed),
    target: { kind: 'contract', contractHash, entryPoint },
  });

function packageOf(state: WorldState) {
  const entry = wasmValue(state, `hash-${packageHash}`);
  if (!entry || !('ContractPackage' in entry)) throw new Error('no package');
  return entry.ContractPackage;
}

describe('contract packages and versions', () => {
  it('casper_add_contract_version (the 1.x call CEP-18 makes) adds version 1 with the entry points', () => {
    expect(packageOf(installed).versions).toEqual([
      { major: 2, version: 1, contract: contractHash },
    ]);
    const contract = wasmValue(installed, `hash-${contractHash}`);
    expect(
      contract && 'Contract' in contract && contract.Contract.entryPoints.map((e) => e.name),
    ).toEqual(['stack', 'answer', 'topic', 'unregistered']);
  });

  it('casper_disable_contract_version and casper_enable_contract_version toggle the version; an unknown contract is ContractNotFound', () => {
    const spec: ModuleSpec = {
      imports: [
        'casper_disable_contract_version',
        'casper_enable_contract_version',
        'casper_revert',
      ],
    };
    const data: Array<[number, number[]]> = [
      [0x100, [...hexToBytes(packageHash)]],
      [0x200, [...hexToBytes(contractHash)]],
      [0x300, new Array(32).fill(7)],
    ];
    const toggle = (name: string) => [
      ...hostCall(spec, name, [0x100, 32, 0x200, 32]),
      ...revertUnlessOk(spec, 1),
    ];
    const disabled = run(
      chain,
      wasmModule({ ...spec, data, call: toggle('casper_disable_contract_version') }),
      {
        state: cloneState(installed),
      },
    );
    expect(disabled.errorMessage).toBeNull();
    expect(packageOf(disabled.state).disabled).toEqual([[2, 1]]);
    const enabled = run(
      chain,
      wasmModule({ ...spec, data, call: toggle('casper_enable_contract_version') }),
      {
        state: disabled.state,
      },
    );
    expect(enabled.errorMessage).toBeNull();
    expect(packageOf(enabled.state).disabled).toEqual([]);
    const unknown = run(
      chain,
      wasmModule({
        ...spec,
        data,
        call: [
          ...hostCall(spec, 'casper_enable_contract_version', [0x100, 32, 0x300, 32]),
          ...revertWith(spec),
        ],
      }),
      { state: cloneState(installed) },
    );
    expect(unknown.errorMessage).toBe('Contract header error: 2');
  });
});

describe('the call stack and who calls', () => {
  it('casper_load_call_stack: Session (tag 0, account hash) then StoredContract (tag 2, package, contract)', () => {
    expect(kept(stored('stack'))).toEqual([
      `0200000000${account!.accountHash}02${packageHash}${contractHash}`,
    ]);
    const session = hostBufferReader('casper_load_call_stack', [0x800, 0x804]);
    expect(kept(run(chain, session))).toEqual([`0100000000${account!.accountHash}`]);
  });

  it('casper_load_authorization_keys: the initiator’s account hash', () => {
    const wasm = hostBufferReader('casper_load_authorization_keys', [0x800, 0x804]);
    expect(kept(run(chain, wasm))).toEqual([`01000000${account!.accountHash}`]);
  });

  it('casper_get_caller: the initiator’s account hash', () => {
    const wasm = hostBufferReader('casper_get_caller', [0x804]);
    expect(kept(run(chain, wasm))).toEqual([account!.accountHash]);
  });

  it('casper_call_contract: the called entry point’s casper_ret value lands in the caller’s host buffer', () => {
    const wasm = hostBufferReader(
      'casper_call_contract',
      [0x100, 32, 0x200, 10, 0x300, 4, 0x804],
      [
        [0x100, [...hexToBytes(contractHash)]],
        [0x200, str('answer')],
        [0x300, [0, 0, 0, 0]],
      ],
    );
    expect(kept(run(chain, wasm, { state: cloneState(installed) }))).toEqual(['07000000']);
  });
});

describe('messages', () => {
  it('casper_manage_message_topic registers a topic once, casper_emit_message emits on it', () => {
    // registered (0), emitted (0), then registering again: MessageTopicAlreadyRegistered
    expect(stored('topic').errorMessage).toBe('ApiError::MessageTopicAlreadyRegistered [41]');
  });

  it('casper_emit_message on a topic the contract has not registered', () => {
    expect(stored('unregistered').errorMessage).toBe('ApiError::MessageTopicNotRegistered [44]');
  });

  it('topics are managed by stored contracts only', () => {
    const spec: ModuleSpec = { imports: ['casper_manage_message_topic'] };
    const wasm = wasmModule({
      ...spec,
      call: [...hostCall(spec, 'casper_manage_message_topic', [0x600, 6, 0x610, 1]), ...op.drop],
      data: [
        [0x600, text('events')],
        [0x610, [0x00]],
      ],
    });
    expect(run(chain, wasm).errorMessage).toBe('Invalid context');
  });
});

describe('named keys', () => {
  const spec: ModuleSpec = {
    imports: [
      'casper_put_key',
      'casper_remove_key',
      'casper_has_key',
      'casper_load_named_keys',
      'casper_read_host_buffer',
      'casper_new_uref',
      'casper_revert',
    ],
  };
  const data: Array<[number, number[]]> = [
    [0x100, str('k')],
    [0x200, [0x01, ...new Array(32).fill(0xab)]],
  ];
  const put = hostCall(spec, 'casper_put_key', [0x100, 5, 0x200, 33]);

  it('casper_has_key: 1 for a missing name, 0 once it is put', () => {
    const hasKey = [...hostCall(spec, 'casper_has_key', [0x100, 5]), ...revertWithUserError(spec)];
    expect(run(chain, wasmModule({ ...spec, data, call: hasKey })).errorMessage).toBe(
      'User error: 1',
    );
    expect(run(chain, wasmModule({ ...spec, data, call: [...put, ...hasKey] })).errorMessage).toBe(
      'User error: 0',
    );
  });

  it('casper_load_named_keys: the context’s named keys as a Map<String, Key>', () => {
    const wasm = wasmModule({
      ...spec,
      data,
      call: [
        ...put,
        ...hostCall(spec, 'casper_load_named_keys', [0x800, 0x804]),
        ...revertUnlessOk(spec, 1),
        ...keepHostBuffer(spec, 0x804),
      ],
    });
    expect(kept(run(chain, wasm))).toEqual([
      `0100000001000000${bytesToHex(utf8ToBytes('k'))}01${'ab'.repeat(32)}`,
    ]);
  });

  it('casper_remove_key: the name is gone from the account', () => {
    const removed = run(
      chain,
      wasmModule({
        ...spec,
        data,
        call: [...put, ...hostCall(spec, 'casper_remove_key', [0x100, 5])],
      }),
    );
    expect(removed.errorMessage).toBeNull();
    expect(removed.state.accounts[account!.accountHash]!.namedKeys?.k).toBeUndefined();
    const kept = run(chain, wasmModule({ ...spec, data, call: put }));
    expect(kept.state.accounts[account!.accountHash]!.namedKeys?.k).toBe(`hash-${'ab'.repeat(32)}`);
  });
});

describe('dictionaries', () => {
  it('casper_dictionary_read: an item by its Key::Dictionary, as dictionary_put wrote it', () => {
    const txHash = '5a'.repeat(32);
    // the dictionary's seed is the execution's first URef: blake2b(tx hash ‖ "/devnet-address/1")
    const seed = blake2b256(concatBytes(hexToBytes(txHash), utf8ToBytes('/devnet-address/1')));
    const address = blake2b256(concatBytes(seed, utf8ToBytes('item')));
    const spec: ModuleSpec = {
      imports: [
        'casper_new_dictionary',
        'casper_dictionary_put',
        'casper_dictionary_read',
        'casper_read_host_buffer',
        'casper_new_uref',
        'casper_revert',
      ],
    };
    const wasm = wasmModule({
      ...spec,
      call: [
        ...hostCall(spec, 'casper_new_dictionary', [0x804]),
        ...revertUnlessOk(spec, 1),
        ...hostCall(spec, 'casper_read_host_buffer', [0x100, 33, 0x808]),
        ...revertUnlessOk(spec, 2),
        ...hostCall(spec, 'casper_dictionary_put', [0x100, 33, 0x200, 4, 0x300, 9]),
        ...revertUnlessOk(spec, 3),
        ...hostCall(spec, 'casper_dictionary_read', [0x400, 33, 0x804]),
        ...revertUnlessOk(spec, 4),
        ...keepHostBuffer(spec, 0x804),
      ],
      data: [
        [0x200, text('item')],
        [0x300, [4, 0, 0, 0, 42, 0, 0, 0, 0x04]],
        [0x400, [0x09, ...address]],
      ],
    });
    expect(kept(run(chain, wasm, { txHash }))).toEqual(['2a000000']);
  });

  it('gas as externals.rs weighs it: dictionary_get 590 per key byte, dictionary_put 1,800 per key byte and 520 per value byte, new_dictionary as new_uref of 33 bytes', () => {
    expect(hostCost('casper_dictionary_get', [0x100, 33, 0x200, 5, 0x804])).toBe(
      5_500n + 590n * 5n,
    );
    expect(hostCost('casper_dictionary_put', [0x100, 33, 0x200, 5, 0x300, 9])).toBe(
      9_500n + 1_800n * 5n + 520n * 9n,
    );
    expect(hostCost('casper_new_dictionary', [0x804])).toBe(17_000n + 590n * 33n);
    const spec: ModuleSpec = {
      imports: ['casper_new_dictionary', 'casper_dictionary_get', 'casper_dictionary_put'],
    };
    const consumed = (code: number[]) => {
      const result = run(
        chain,
        wasmModule({ ...spec, call: code, data: [[0x200, text('k'.repeat(200))]] }),
      );
      expect(result.errorMessage).toBeNull();
      return result.consumed;
    };
    // a dictionary that does not exist: ValueNotFound, nothing written
    const get = (keySize: number) =>
      consumed([
        ...hostCall(spec, 'casper_dictionary_get', [0x100, 33, 0x200, keySize, 0x804]),
        ...op.drop,
      ]);
    expect(get(11) - get(1)).toBe(590n * 10n);
    // a key past 128 bytes: DictionaryItemKeyExceedsLength, nothing written
    const put = (keySize: number, valueSize: number) =>
      consumed([
        ...hostCall(spec, 'casper_dictionary_put', [0x100, 33, 0x200, keySize, 0x300, valueSize]),
        ...op.drop,
      ]);
    expect(put(139, 9) - put(129, 9)).toBe(1_800n * 10n);
    expect(put(129, 19) - put(129, 9)).toBe(520n * 10n);
    // a second new_dictionary finds the host buffer full and writes nothing: its charge is
    // the call (i32.const 110, call 68,000, drop 440) and 17,000 + 590 × 33
    const once = hostCall(spec, 'casper_new_dictionary', [0x804]);
    expect(
      consumed([...once, ...op.drop, ...once, ...op.drop]) - consumed([...once, ...op.drop]),
    ).toBe(110n + 68_000n + 440n + 36_470n);
  });
});

describe('purses', () => {
  it('casper_create_purse, casper_get_balance, casper_transfer_from_purse_to_purse and _to_account move motes', () => {
    const spec: ModuleSpec = {
      imports: [
        'casper_get_main_purse',
        'casper_create_purse',
        'casper_transfer_from_purse_to_purse',
        'casper_get_balance',
        'casper_transfer_from_purse_to_account',
        'casper_read_host_buffer',
        'casper_new_uref',
        'casper_revert',
      ],
    };
    const wasm = wasmModule({
      ...spec,
      call: [
        ...hostCall(spec, 'casper_get_main_purse', [0x100]),
        ...hostCall(spec, 'casper_create_purse', [0x200, 33]),
        ...revertUnlessOk(spec, 1),
        ...hostCall(
          spec,
          'casper_transfer_from_purse_to_purse',
          [0x100, 33, 0x200, 33, 0x300, 2, 0x310, 1],
        ),
        ...revertUnlessOk(spec, 2),
        ...hostCall(
          spec,
          'casper_transfer_from_purse_to_account',
          [0x100, 33, 0x500, 32, 0x300, 2, 0x310, 1, 0x540],
        ),
        ...revertUnlessOk(spec, 3),
        ...hostCall(spec, 'casper_get_balance', [0x200, 33, 0x804]),
        ...revertUnlessOk(spec, 4),
        ...keepHostBuffer(spec, 0x804),
      ],
      data: [
        // U512 5, Option<u64> None, the other account's hash
        [0x300, [0x01, 0x05]],
        [0x310, [0x00]],
        [0x500, [...hexToBytes(otherAccount!.accountHash)]],
      ],
    });
    const before = chain.state.accounts;
    // create_purse and transfer_from_purse_to_account cost 2.5 CSPR each
    const result = run(chain, wasm, { gasLimit: 10_000_000_000n });
    expect(kept(result)).toEqual(['0105']);
    const motes = (state: Record<string, { motes: string }>, who: string) =>
      BigInt(state[who]!.motes);
    expect(motes(result.state.accounts, account!.accountHash)).toBe(
      motes(before, account!.accountHash) - 10n,
    );
    expect(motes(result.state.accounts, otherAccount!.accountHash)).toBe(
      motes(before, otherAccount!.accountHash) + 5n,
    );
  });

  it('casper_get_main_purse: the initiator’s main purse URef with full access', () => {
    const spec: ModuleSpec = { imports: ['casper_get_main_purse', 'casper_new_uref'] };
    const store = keep(spec, 33);
    const wasm = wasmModule({
      ...spec,
      data: store.data,
      call: [...hostCall(spec, 'casper_get_main_purse', [OUT]), ...store.code],
    });
    expect(kept(run(chain, wasm))).toEqual([
      `${chain.state.accounts[account!.accountHash]!.mainPurse}07`,
    ]);
  });
});

describe('the system and randomness', () => {
  it('casper_get_system_contract: the devnet’s mint hash for 0; an unknown index is InvalidSystemContract', () => {
    const spec: ModuleSpec = {
      imports: ['casper_get_system_contract', 'casper_new_uref', 'casper_revert'],
    };
    const store = keep(spec, 32);
    const mint = wasmModule({
      ...spec,
      data: store.data,
      call: [
        ...hostCall(spec, 'casper_get_system_contract', [0, OUT, 32]),
        ...revertUnlessOk(spec, 1),
        ...store.code,
      ],
    });
    expect(kept(run(chain, mint))).toEqual([
      bytesToHex(blake2b256(utf8ToBytes('x402-casper devnet system contract mint'))),
    ]);
    const unknown = wasmModule({
      ...spec,
      call: [...hostCall(spec, 'casper_get_system_contract', [9, OUT, 32]), ...revertWith(spec)],
    });
    expect(run(chain, unknown).errorMessage).toBe('ApiError::InvalidSystemContract [29]');
  });

  it('casper_random_bytes: 32 new bytes per call; another size is BufferTooSmall', () => {
    const spec: ModuleSpec = {
      imports: ['casper_random_bytes', 'casper_new_uref', 'casper_revert'],
    };
    const store = keep(spec, 32);
    const twice = [
      ...hostCall(spec, 'casper_random_bytes', [OUT, 32]),
      ...revertUnlessOk(spec, 1),
      ...store.code,
    ];
    const values = kept(
      run(chain, wasmModule({ ...spec, data: store.data, call: [...twice, ...twice] })),
    );
    expect(values).toHaveLength(2);
    expect(values[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(values[0]).not.toBe(values[1]);
    const short = wasmModule({
      ...spec,
      call: [...hostCall(spec, 'casper_random_bytes', [OUT, 16]), ...revertWith(spec)],
    });
    expect(run(chain, short).errorMessage).toBe('ApiError::BufferTooSmall [32]');
  });

  it('casper_blake2b: blake2b-256 of the input', () => {
    const spec: ModuleSpec = { imports: ['casper_blake2b', 'casper_new_uref', 'casper_revert'] };
    const store = keep(spec, 32);
    const wasm = wasmModule({
      ...spec,
      data: [...store.data, [0x100, text('casper')]],
      call: [
        ...hostCall(spec, 'casper_blake2b', [0x100, 6, OUT, 32]),
        ...revertUnlessOk(spec, 1),
        ...store.code,
      ],
    });
    expect(kept(run(chain, wasm))).toEqual([bytesToHex(blake2b256(utf8ToBytes('casper')))]);
  });
});

describe('casper_verify_signature', () => {
  const message = utf8ToBytes('a message to sign');
  const signature = hexToBytes(signDigest(account!.secretKey, message));
  const spec: ModuleSpec = { imports: ['casper_verify_signature', 'casper_revert'] };
  const verify = (bytes: Uint8Array) =>
    wasmModule({
      ...spec,
      data: [
        [0x100, [...bytes]],
        [0x200, [...signature]],
        [0x300, [...hexToBytes(account!.publicKey)]],
      ],
      call: [
        ...hostCall(spec, 'casper_verify_signature', [0x100, bytes.length, 0x200, 65, 0x300, 33]),
        ...revertWithUserError(spec),
      ],
    });

  it('a valid signature: 0; the message tampered with: InvalidArgument', () => {
    expect(run(chain, verify(message)).errorMessage).toBe('User error: 0');
    const tampered = message.slice();
    tampered[0]! ^= 1;
    expect(run(chain, verify(tampered)).errorMessage).toBe('User error: 3');
  });

  it('is charged 1.3M gas plus 120,000 per message byte', () => {
    const result = run(chain, verify(message));
    const call = 1_300_000n + 120_000n * BigInt(message.length);
    // the module's own code: 6 × i32.const, call, i32.const, i32.add, call (and casper_revert's 500)
    const code = 6n * 110n + 68_000n + 110n + 210n + 68_000n + 500n;
    expect(result.consumed).toBe(call + code);
  });
});
