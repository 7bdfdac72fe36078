// The JSON-RPC methods: those of a Casper node, then the devnet_* test controls.
import {
  accountHashOf,
  parseArgLayout,
  parsePublicKey,
  parseUint,
  U256_MAX,
  X402InputError,
} from '@x402-casper/shared';
import type { Block, Chain } from './chain.js';
import { invalidParams, rpcError } from './errors.js';
import { parseDecimals, parseOwner, text, tokenSpec } from './genesis.js';
import { dictionaryItem, parseKey, queryGlobalState } from './global-state.js';
import {
  API_VERSION,
  accountValue,
  blockHeader,
  blockWithSignatures,
  contractValue,
  executionInfo,
  merkleProof,
  minimalBlockInfo,
  PROTOCOL_VERSION,
  packageValue,
  timeDiff,
  timestamp,
} from './results.js';
import { tokenByContractHash, type WorldState } from './state.js';
import { contractJson, packageJson } from './wasm/json.js';
import { wasmValue } from './wasm/store.js';

export type Params = Record<string, unknown>;
export type Method = (chain: Chain, params: Params) => Record<string, unknown>;

const HASH = /^[0-9a-fA-F]{64}$/;

function hashParam(value: unknown, field: string): string {
  if (typeof value !== 'string' || !HASH.test(value)) {
    throw invalidParams(field, 'must be 64 hex digits');
  }
  return value.toLowerCase();
}

function oneVariant(value: unknown, field: string): [string, unknown] {
  if (typeof value !== 'object' || value === null || Object.keys(value).length !== 1) {
    throw invalidParams(field, 'must be an object with exactly one variant');
  }
  return Object.entries(value)[0] as [string, unknown];
}

function noSuchBlock(chain: Chain) {
  return rpcError('noSuchBlock', {
    message: 'no block found for the provided identifier',
    available_block_range: { low: 0, high: chain.latestBlock.height },
  });
}

/** A BlockIdentifier ({Hash} | {Height}), or the latest block when absent. */
function blockOf(chain: Chain, identifier: unknown): Block {
  if (identifier === undefined || identifier === null) return chain.latestBlock;
  const [variant, value] = oneVariant(identifier, 'block_identifier');
  let block: Block | undefined;
  if (variant === 'Hash') {
    const hash = hashParam(value, 'block_identifier.Hash');
    block = chain.blocks.find((candidate) => candidate.hash === hash);
  } else if (variant === 'Height') {
    if (!Number.isSafeInteger(value) || (value as number) < 0) {
      throw invalidParams('block_identifier.Height', 'must be a whole number');
    }
    block = chain.blocks[value as number];
  } else {
    throw invalidParams('block_identifier', `unknown variant ${variant}`);
  }
  if (!block) throw noSuchBlock(chain);
  return block;
}

/** A GlobalStateIdentifier: the state and, for block identifiers, the block. */
function stateOf(
  chain: Chain,
  identifier: unknown,
): { state: WorldState; root: string; block?: Block } {
  if (identifier === undefined || identifier === null) {
    return { state: chain.state, root: chain.latestBlock.stateRootHash };
  }
  const [variant, value] = oneVariant(identifier, 'state_identifier');
  if (variant === 'StateRootHash') {
    const root = hashParam(value, 'state_identifier.StateRootHash');
    const state = chain.stateAt(root);
    if (!state) throw rpcError('noSuchStateRoot', 'global state root hash not found');
    return { state, root };
  }
  const blockIdentifier =
    variant === 'BlockHash'
      ? { Hash: value }
      : variant === 'BlockHeight'
        ? { Height: value }
        : undefined;
  if (!blockIdentifier) throw invalidParams('state_identifier', `unknown variant ${variant}`);
  const block = blockOf(chain, blockIdentifier);
  const state = chain.stateAt(block.stateRootHash);
  if (!state) throw rpcError('noSuchStateRoot', 'global state root hash not found');
  return { state, root: block.stateRootHash, block };
}

const genesisHash = (chain: Chain) => chain.blocks[0]!.hash;

function purseAccountHash(state: WorldState, identifier: unknown): string | undefined {
  const [variant, value] = oneVariant(identifier, 'purse_identifier');
  if (typeof value !== 'string')
    throw invalidParams(`purse_identifier.${variant}`, 'must be a string');
  const prefixed = (prefix: string) => {
    if (!value.startsWith(prefix) || !HASH.test(value.slice(prefix.length))) {
      throw invalidParams(`purse_identifier.${variant}`, `must be ${prefix}<64 hex>`);
    }
    return value.slice(prefix.length).toLowerCase();
  };
  switch (variant) {
    case 'main_purse_under_public_key':
      try {
        return accountHashOf(parsePublicKey(value, 'purse_identifier.main_purse_under_public_key'));
      } catch (error) {
        if (error instanceof X402InputError) throw invalidParams(error.field, error.reason);
        throw error;
      }
    case 'main_purse_under_account_hash':
      return prefixed('account-hash-');
    case 'main_purse_under_entity_addr':
      return prefixed('entity-account-');
    case 'purse_uref': {
      const key = parseKey(value, 'purse_identifier.purse_uref');
      if (key.kind !== 'uref')
        throw invalidParams('purse_identifier.purse_uref', 'must be a uref-… key');
      return Object.values(state.accounts).find((account) => account.mainPurse === key.addr)
        ?.accountHash;
    }
    default:
      throw invalidParams('purse_identifier', `unknown variant ${variant}`);
  }
}

function amountParam(value: unknown, field: string, bits: number): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  try {
    return parseUint(value as string, field, bits);
  } catch (error) {
    if (error instanceof X402InputError) throw invalidParams(error.field, error.reason);
    throw error;
  }
}

function inputError<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof X402InputError) throw invalidParams(error.field, error.reason);
    throw error;
  }
}

/** A hash written bare or with one of `prefixes` (e.g. `contract-`, `contract-package-`). */
function prefixedHash(value: unknown, field: string, prefixes: string[]): string {
  if (typeof value === 'string') {
    for (const prefix of ['', ...prefixes]) {
      if (value.startsWith(prefix) && HASH.test(value.slice(prefix.length))) {
        return value.slice(prefix.length).toLowerCase();
      }
    }
  }
  throw invalidParams(
    field,
    `must be 64 hex digits${prefixes.length ? `, optionally after ${prefixes.join(' or ')}` : ''}`,
  );
}

function accountHashOfIdentifier(value: unknown, field: string): string {
  if (typeof value === 'string' && value.startsWith('account-hash-')) {
    return prefixedHash(value, field, ['account-hash-']);
  }
  return inputError(() => accountHashOf(parsePublicKey(value as string, field)));
}

const entityNotFound = () => rpcError('queryFailed', 'addressable entity not found');

const nodeMethods: Record<string, Method> = {
  info_get_status: (chain) => {
    const latest = chain.latestBlock;
    return {
      protocol_version: PROTOCOL_VERSION,
      peers: [],
      build_version: `${PROTOCOL_VERSION}-x402-casper-devnet`,
      chainspec_name: chain.chainName,
      starting_state_root_hash: chain.blocks[0]!.stateRootHash,
      last_added_block_info: minimalBlockInfo(latest),
      our_public_signing_key: chain.validatorPublicKey,
      round_length: null,
      next_upgrade: null,
      uptime: timeDiff(Date.now() - chain.startedAtMs),
      reactor_state: 'Validate',
      last_progress: timestamp(latest.timestampMs),
      available_block_range: { low: 0, high: latest.height },
      block_sync: { historical: null, forward: null },
      latest_switch_block_hash: chain.blocks[0]!.hash,
    };
  },

  chain_get_state_root_hash: (chain, params) => ({
    state_root_hash: blockOf(chain, params.block_identifier).stateRootHash,
  }),

  chain_get_block: (chain, params) => {
    const block = blockOf(chain, params.block_identifier);
    return { block_with_signatures: blockWithSignatures(block, genesisHash(chain)) };
  },

  account_put_transaction: (chain, params) => ({
    transaction_hash: { Version1: chain.submit(params) },
  }),

  info_get_transaction: (chain, params) => {
    const [variant, value] = oneVariant(params.transaction_hash, 'transaction_hash');
    if (variant !== 'Version1' && variant !== 'Deploy') {
      throw invalidParams('transaction_hash', `unknown variant ${variant}`);
    }
    const hash = hashParam(value, `transaction_hash.${variant}`);
    const record = variant === 'Version1' ? chain.transaction(hash) : undefined;
    if (!record) {
      const kind = variant === 'Version1' ? 'transaction-v1-hash' : 'deploy-hash';
      throw rpcError('noSuchTransaction', `no transaction for hash ${kind}(${hash})`);
    }
    return { transaction: { Version1: record.json }, execution_info: executionInfo(record) };
  },

  query_global_state: (chain, params) => {
    const { state, root, block } = stateOf(chain, params.state_identifier);
    const storedValue = queryGlobalState(state, params.key, params.path, (hash) =>
      chain.blob(hash),
    );
    return {
      block_header: block ? { Version2: blockHeader(block, genesisHash(chain)) } : null,
      stored_value: storedValue,
      merkle_proof: merkleProof(root, String(params.key)),
    };
  },

  state_get_dictionary_item: (chain, params) => {
    const root = hashParam(params.state_root_hash, 'state_root_hash');
    const state = chain.stateAt(root);
    if (!state) throw rpcError('noSuchStateRoot', 'global state root hash not found');
    const item = dictionaryItem(state, params.dictionary_identifier);
    return {
      dictionary_key: `dictionary-${item.address}`,
      stored_value: { CLValue: item.value },
      merkle_proof: merkleProof(root, item.address),
    };
  },

  state_get_account_info: (chain, params) => {
    const block = blockOf(chain, params.block_identifier);
    const state = chain.stateAt(block.stateRootHash);
    if (!state) throw rpcError('noSuchStateRoot', 'global state root hash not found');
    const accountHash = accountHashOfIdentifier(params.account_identifier, 'account_identifier');
    const account = state.accounts[accountHash];
    if (!account) throw rpcError('noSuchAccount', 'no such account');
    return {
      account: accountValue(account).Account,
      merkle_proof: merkleProof(block.stateRootHash, `account-hash-${accountHash}`),
    };
  },

  state_get_entity: (chain, params) => {
    const block = blockOf(chain, params.block_identifier);
    const state = chain.stateAt(block.stateRootHash);
    if (!state) throw rpcError('noSuchStateRoot', 'global state root hash not found');
    const [variant, value] = oneVariant(params.entity_identifier, 'entity_identifier');
    const proof = (key: string) => merkleProof(block.stateRootHash, key);
    if (variant === 'PublicKey' || variant === 'AccountHash') {
      const accountHash = accountHashOfIdentifier(value, `entity_identifier.${variant}`);
      const account = state.accounts[accountHash];
      if (!account) throw entityNotFound();
      return { entity: accountValue(account), merkle_proof: proof(`account-hash-${accountHash}`) };
    }
    if (variant === 'ContractHash' || variant === 'EntityAddr') {
      const contractHash = prefixedHash(value, `entity_identifier.${variant}`, [
        'contract-',
        'entity-contract-',
        'hash-',
      ]);
      const entry = wasmValue(state, `hash-${contractHash}`);
      if (entry && 'Contract' in entry) {
        const wasm = wasmValue(state, `hash-${entry.Contract.wasm}`);
        const bytecode =
          params.include_bytecode === true && wasm && 'ContractWasm' in wasm
            ? {
                wasm: {
                  bytes: Buffer.from(chain.blob(wasm.ContractWasm.blob) ?? []).toString('hex'),
                },
                merkle_proof: proof(`hash-${entry.Contract.wasm}`),
              }
            : null;
        return {
          entity: { Contract: { contract: contractJson(entry.Contract), wasm: bytecode } },
          merkle_proof: proof(`hash-${contractHash}`),
        };
      }
      const found = tokenByContractHash(state, contractHash);
      if (!found) throw entityNotFound();
      const contract = contractValue(found.token, found.contract.argLayout).Contract;
      return {
        entity: { Contract: { contract, wasm: null } },
        merkle_proof: proof(`hash-${contractHash}`),
      };
    }
    throw invalidParams('entity_identifier', `unknown variant ${variant}`);
  },

  state_get_package: (chain, params) => {
    const block = blockOf(chain, params.block_identifier);
    const state = chain.stateAt(block.stateRootHash);
    if (!state) throw rpcError('noSuchStateRoot', 'global state root hash not found');
    const [variant, value] = oneVariant(params.package_identifier, 'package_identifier');
    if (variant !== 'ContractPackageHash' && variant !== 'PackageAddr') {
      throw invalidParams('package_identifier', `unknown variant ${variant}`);
    }
    const packageHash = prefixedHash(value, `package_identifier.${variant}`, [
      'contract-package-',
      'package-',
      'hash-',
    ]);
    const entry = wasmValue(state, `hash-${packageHash}`);
    const token = state.tokens[packageHash];
    const pkg =
      entry && 'ContractPackage' in entry
        ? packageJson(entry.ContractPackage)
        : token
          ? packageValue(token).ContractPackage
          : undefined;
    if (!pkg) throw rpcError('queryFailed', 'package not found');
    return {
      package: { ContractPackage: pkg },
      merkle_proof: merkleProof(block.stateRootHash, `hash-${packageHash}`),
    };
  },

  query_balance: (chain, params) => {
    const { state } = stateOf(chain, params.state_identifier);
    const accountHash = purseAccountHash(state, params.purse_identifier);
    const account = accountHash === undefined ? undefined : state.accounts[accountHash];
    if (!account) throw rpcError('purseNotFound', 'purse was not found for given identifier');
    return { balance: account.motes };
  },
};

const controlMethods: Record<string, Method> = {
  devnet_fund: (chain, params) => {
    const owner = inputError(() => parseOwner(params.account, 'account'));
    const motes = params.motes === undefined ? 0n : amountParam(params.motes, 'motes', 512);
    let token: { packageHash: string; owner: string; amount: bigint } | undefined;
    if (params.token !== undefined) {
      const spec = params.token as Params | null;
      if (typeof spec !== 'object' || spec === null)
        throw invalidParams('token', 'must be {package_hash, amount}');
      const packageHash = hashParam(spec.package_hash, 'token.package_hash');
      const target = chain.state.tokens[packageHash];
      if (!target && !chain.isWasmPackage(packageHash)) {
        throw invalidParams('token.package_hash', 'no token with this package hash');
      }
      const amount = amountParam(spec.amount, 'token.amount', 256);
      if (target && BigInt(target.totalSupply) + amount > U256_MAX) {
        throw invalidParams('token.amount', 'would overflow the total supply');
      }
      token = { packageHash, owner: owner.address, amount };
    }
    if (motes === 0n && !token) throw invalidParams('motes', 'give motes and/or token');
    if (motes > 0n && !owner.address.startsWith('00')) {
      throw invalidParams('account', 'only accounts hold CSPR; a contract can only get tokens');
    }
    const { block, tokenFrom } = inputError(() =>
      chain.fund(owner.address.slice(2), owner.address.startsWith('00') ? motes : 0n, token),
    );
    return {
      account_hash: `account-hash-${owner.address.slice(2)}`,
      block_hash: block.hash,
      ...(tokenFrom === undefined ? {} : { token_from: `account-hash-${tokenFrom}` }),
    };
  },

  devnet_deployToken: (chain, params) => {
    const spec = inputError(() =>
      tokenSpec(
        {
          name: text(params.name, 'name', 64),
          symbol: text(params.symbol, 'symbol', 16),
          decimals: parseDecimals(params.decimals, 'decimals'),
        },
        {
          argLayout: params.arg_layout,
          domainName: params.domain_name,
          nonceStorage: params.nonce_storage,
        },
        { argLayout: 'arg_layout', domainName: 'domain_name', nonceStorage: 'nonce_storage' },
      ),
    );
    const token = chain.deployToken(spec);
    return {
      package_hash: token.packageHash,
      contract_hash: token.contractHash,
      arg_layout: token.argLayout,
      domain_name: token.domainName,
      nonce_storage: token.nonceStorage,
    };
  },

  devnet_upgradeToken: (chain, params) => {
    const packageHash = hashParam(params.package_hash, 'package_hash');
    if (!chain.state.tokens[packageHash]) {
      throw invalidParams(
        'package_hash',
        chain.isWasmPackage(packageHash)
          ? 'is a Wasm package: upgrade it with an install-or-upgrade session'
          : 'no token with this package hash',
      );
    }
    const argLayout = inputError(() => parseArgLayout(params.arg_layout, 'arg_layout'));
    const { token, version } = chain.upgradeToken(packageHash, argLayout);
    return {
      package_hash: token.packageHash,
      contract_hash: token.contractHash,
      contract_version: version,
      arg_layout: token.argLayout,
    };
  },

  devnet_increaseTime: (chain, params) => {
    const seconds = params.seconds;
    if (!Number.isSafeInteger(seconds) || (seconds as number) < 0) {
      throw invalidParams('seconds', 'must be a whole number ≥ 0');
    }
    return { timestamp: timestamp(chain.increaseTime(seconds as number)) };
  },

  devnet_mine: (chain, params) => {
    const blocks = params.blocks ?? 1;
    if (!Number.isSafeInteger(blocks) || (blocks as number) < 1 || (blocks as number) > 10_000) {
      throw invalidParams('blocks', 'must be a whole number from 1 to 10000');
    }
    const mined = chain.mine(blocks as number);
    const last = mined[mined.length - 1]!;
    return { block_hash: last.hash, block_height: last.height };
  },

  devnet_snapshot: (chain) => ({ id: chain.snapshot() }),

  devnet_revert: (chain, params) => {
    if (typeof params.id !== 'string') throw invalidParams('id', 'must be a snapshot id string');
    if (!chain.revert(params.id))
      throw invalidParams('id', 'no such snapshot (each can be reverted to once)');
    return { reverted: true };
  },
};

export const METHODS: Record<string, Method> = { ...nodeMethods, ...controlMethods };

export function callMethod(chain: Chain, name: string, params: Params): Record<string, unknown> {
  const method = Object.hasOwn(METHODS, name) ? METHODS[name] : undefined;
  if (!method) throw rpcError('methodNotFound');
  return { api_version: API_VERSION, ...method(chain, params) };
}
