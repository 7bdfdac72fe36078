// Node-shaped JSON for blocks, stored values and execution results.
import { type ArgLayout, blake2b256, bytesToHex, utf8ToBytes } from '@x402-casper/shared';
import type { Block, TransactionRecord } from './chain.js';
import { type CLValueJson, cl, formatURef } from './clvalue.js';
import { type AccountState, type TokenState, versionsOf } from './state.js';
import { entryPointsOf } from './token.js';
import { namedKeysJson } from './wasm/json.js';

export const API_VERSION = '2.0.0';
export const PROTOCOL_VERSION = '2.0.0';

export const timestamp = (ms: number) => new Date(ms).toISOString();

/** A node's human-readable TimeDiff, e.g. `1h 2m 3s 4ms`. */
export function timeDiff(ms: number): string {
  const units: Array<[string, number]> = [
    ['day', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
    ['ms', 1],
  ];
  const parts: string[] = [];
  let rest = Math.max(0, Math.floor(ms));
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0)
      parts.push(unit === 'day' ? `${count}day${count > 1 ? 's' : ''}` : `${count}${unit}`);
  }
  return parts.length > 0 ? parts.join(' ') : '0s';
}

/**
 * Block 0 is the devnet's only switch block (era 0 lasts forever). Its last switch block is
 * written as its parent, all zeros: casper-js-sdk 5.0.12 cannot parse a null there.
 */
export function blockHeader(block: Block, genesisHash: string) {
  const genesis = block.height === 0;
  return {
    parent_hash: block.parentHash,
    state_root_hash: block.stateRootHash,
    body_hash: block.bodyHash,
    random_bit: block.randomBit,
    accumulated_seed: block.accumulatedSeed,
    era_end: genesis
      ? {
          equivocators: [],
          inactive_validators: [],
          next_era_validator_weights: [{ validator: block.proposer, weight: '1' }],
          rewards: {},
          next_era_gas_price: 1,
        }
      : null,
    timestamp: timestamp(block.timestampMs),
    era_id: 0,
    height: block.height,
    protocol_version: PROTOCOL_VERSION,
    proposer: block.proposer,
    current_gas_price: 1,
    last_switch_block_hash: genesis ? block.parentHash : genesisHash,
  };
}

export function blockWithSignatures(block: Block, genesisHash: string) {
  const transactions = Object.fromEntries(
    Object.entries(block.transactions).map(([lane, hashes]) => [
      lane,
      hashes.map((hash) => ({ Version1: hash })),
    ]),
  );
  return {
    block: {
      Version2: {
        hash: block.hash,
        header: blockHeader(block, genesisHash),
        body: { transactions, rewarded_signatures: [] },
      },
    },
    proofs: [{ public_key: block.proposer, signature: block.signature }],
  };
}

export function minimalBlockInfo(block: Block) {
  return {
    hash: block.hash,
    timestamp: timestamp(block.timestampMs),
    era_id: 0,
    height: block.height,
    state_root_hash: block.stateRootHash,
    creator: block.proposer,
  };
}

export function executionInfo(record: TransactionRecord) {
  const execution = record.execution;
  if (!execution) return null;
  return {
    block_hash: execution.blockHash,
    block_height: execution.blockHeight,
    execution_result: {
      Version2: {
        initiator: record.initiatorAddr,
        error_message: execution.errorMessage,
        limit: record.paymentMotes,
        consumed: execution.consumed ?? record.paymentMotes,
        cost: execution.cost,
        transfers: [],
        size_estimate: record.sizeEstimate,
        effects: execution.effects,
      },
    },
  };
}

/** Stands in for a Merkle proof: the devnet has no trie, so it proves nothing. */
export function merkleProof(stateRootHash: string, key: string): string {
  return bytesToHex(blake2b256(utf8ToBytes(`${stateRootHash} ${key}`)));
}

export function accountValue(account: AccountState) {
  return {
    Account: {
      account_hash: `account-hash-${account.accountHash}`,
      named_keys: namedKeysJson(account.namedKeys ?? {}),
      main_purse: formatURef(account.mainPurse),
      associated_keys: [{ account_hash: `account-hash-${account.accountHash}`, weight: 1 }],
      action_thresholds: { deployment: 1, key_management: 1 },
    },
  };
}

export function packageValue(token: TokenState) {
  const versions = versionsOf(token);
  return {
    ContractPackage: {
      access_key: formatURef(token.accessKey),
      versions: versions.map(({ version, contractHash }) => ({
        protocol_version_major: 2,
        contract_version: version,
        contract_hash: `contract-${contractHash}`,
      })),
      disabled_versions: versions.filter((v) => v.disabled).map((v) => [2, v.version]),
      groups: [],
      lock_status: 'Unlocked',
    },
  };
}

export function namedKeysOf(token: TokenState) {
  return Object.entries(token.urefs).map(([name, addr]) => ({ name, key: formatURef(addr) }));
}

/** The Contract value of one of the token's contract versions (by default the current one). */
export function contractValue(token: TokenState, argLayout: ArgLayout = token.argLayout) {
  return {
    Contract: {
      contract_package_hash: `contract-package-${token.packageHash}`,
      contract_wasm_hash: `contract-wasm-${token.wasmHash}`,
      named_keys: namedKeysOf(token),
      entry_points: entryPointsOf(argLayout, token.nonceStorage).map((spec) => ({
        name: spec.name,
        entry_point: {
          name: spec.name,
          args: spec.args.map(([name, type]) => ({ name, cl_type: type })),
          ret: spec.ret,
          access: 'Public',
          entry_point_type: 'Called',
        },
      })),
      protocol_version: PROTOCOL_VERSION,
    },
  };
}

/** The value under one of a token's named-key URefs (dictionary seeds hold Unit). */
export function namedKeyValue(token: TokenState, name: string): CLValueJson {
  switch (name) {
    case 'name':
      return cl.string(token.name);
    case 'symbol':
      return cl.string(token.symbol);
    case 'decimals':
      return cl.u8(token.decimals);
    case 'total_supply':
      return cl.u256(BigInt(token.totalSupply));
    default:
      return cl.unit();
  }
}
