// A minimal Casper 2.x TransactionV1 builder for one kind of transaction: a call to an entry
// point of a stored contract by its package hash (VmCasperV1), PaymentLimited pricing, named
// runtime args, standard scheduling. Browser-safe (noble only); byte-for-byte the layout of
// casper-node's `TransactionV1Payload` (calltable serialization with its `fields` map), as
// casper-js-sdk 5.0.12 writes it, so the hash the node recomputes is ours.
import {
  bigUintLE,
  bytesToHex,
  concatBytes,
  hexToBytes,
  lengthPrefixed,
  stringBytes,
  u32LE,
  u64LE,
} from '../bytes.js';
import { X402InputError } from '../errors.js';
import { U256_MAX } from '../uint.js';
import { addressToKeyBytes } from './address.js';
import { blake2b256, parsePublicKey, type SecretKey, signDigest } from './keys.js';

/** A CLValue as a runtime argument: its type (bytes and node JSON) and its value bytes. */
export interface CLArg {
  typeBytes: Uint8Array;
  typeJson: unknown;
  valueBytes: Uint8Array;
}

const u8 = (n: number) => Uint8Array.of(n);
function u16LE(value: number): Uint8Array {
  const out = new Uint8Array(2);
  new DataView(out.buffer).setUint16(0, value, true);
  return out;
}

/** CLValue constructors for the argument types a CEP-3009 call needs. */
export const clArg = {
  /** `Key` from a 33-byte Casper address (`00` account hash → Key::Account, `01` → Key::Hash). */
  key(address: string, field = 'key'): CLArg {
    return { typeBytes: u8(11), typeJson: 'Key', valueBytes: addressToKeyBytes(address, field) };
  },
  /** `PublicKey` from its tagged hex. */
  publicKey(hex: string, field = 'publicKey'): CLArg {
    const key = parsePublicKey(hex, field);
    return { typeBytes: u8(22), typeJson: 'PublicKey', valueBytes: hexToBytes(key.hex) };
  },
  /** `List<U8>` (what CEP-3009 calls `Bytes`). */
  bytes(bytes: Uint8Array): CLArg {
    return {
      typeBytes: Uint8Array.of(14, 3),
      typeJson: { List: 'U8' },
      valueBytes: lengthPrefixed(bytes),
    };
  },
  string(text: string): CLArg {
    return { typeBytes: u8(10), typeJson: 'String', valueBytes: stringBytes(text) };
  },
  u64(value: bigint): CLArg {
    return { typeBytes: u8(5), typeJson: 'U64', valueBytes: u64LE(value, 'u64') };
  },
  /** `U256`: a length byte, then the value's little-endian bytes without trailing zeros. */
  u256(value: bigint): CLArg {
    if (value < 0n || value > U256_MAX) throw new X402InputError('u256', 'does not fit in a U256');
    return { typeBytes: u8(7), typeJson: 'U256', valueBytes: bigUintLE(value, 'u256') };
  },
};

/** casper-node's calltable envelope: u32 field count, (u16 index, u32 offset)…, u32 size, bytes. */
function calltable(fields: Uint8Array[]): Uint8Array {
  const header: Uint8Array[] = [u32LE(fields.length)];
  let offset = 0;
  fields.forEach((value, index) => {
    header.push(u16LE(index), u32LE(offset));
    offset += value.length;
  });
  header.push(u32LE(offset));
  return concatBytes(...header, ...fields);
}

export interface ContractCallInput {
  /** Chain name as the node knows it (`casper`, `casper-test`, `casper-net-1`), not CAIP-2. */
  chainName: string;
  /** The initiator's tagged public key hex (it also signs the approval). */
  initiator: string;
  /** Contract package hash, 64 hex digits. */
  packageHash: string;
  entryPoint: string;
  /** Named runtime args, in the order given. */
  args: [string, CLArg][];
  /** PaymentLimited payment amount in motes. */
  paymentMotes: bigint;
  gasPriceTolerance?: number;
  /** Milliseconds since the epoch; the node refuses more than 2 s in the future. */
  timestampMs: number;
  /** Time to live in milliseconds (a node allows at most 2 h). */
  ttlMs: number;
}

export interface TransactionV1Json {
  hash: string;
  payload: Record<string, unknown>;
  approvals: { signer: string; signature: string }[];
}

export interface UnsignedTransactionV1 {
  /** blake2b-256 of the payload bytes: what every approval signs. */
  hash: Uint8Array;
  payloadBytes: Uint8Array;
  payloadJson: Record<string, unknown>;
}

/** The TTL as the node's JSON writes it (humantime: `30m`, `1h 30m`, `90s`, `1500ms`). */
export function ttlToJson(ttlMs: number): string {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new X402InputError('ttlMs', 'must be a positive whole number of milliseconds');
  }
  const parts: string[] = [];
  let rest = ttlMs;
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
    ['ms', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join(' ');
}

/** Builds the payload of a TransactionV1 that calls `entryPoint` on a package, and its hash. */
export function buildContractCall(input: ContractCallInput): UnsignedTransactionV1 {
  const initiator = parsePublicKey(input.initiator, 'initiator');
  const packageHash = hexToBytes(input.packageHash, 'packageHash', 32);
  if (!input.entryPoint) throw new X402InputError('entryPoint', 'must not be empty');
  if (!Number.isSafeInteger(input.timestampMs) || input.timestampMs < 0) {
    throw new X402InputError('timestampMs', 'must be a whole number of milliseconds');
  }
  const tolerance = input.gasPriceTolerance ?? 1;
  if (!Number.isInteger(tolerance) || tolerance < 1 || tolerance > 255) {
    throw new X402InputError('gasPriceTolerance', 'must be 1–255');
  }
  const names = new Set<string>();
  for (const [name] of input.args) {
    if (names.has(name)) throw new X402InputError('args', `names "${name}" twice`);
    names.add(name);
  }

  // fields[0]: TransactionArgs::Named(RuntimeArgs): tag 0, u32 count, (String name, CLValue)….
  const args = concatBytes(
    u8(0),
    u32LE(input.args.length),
    ...input.args.map(([name, arg]) =>
      concatBytes(stringBytes(name), lengthPrefixed(arg.valueBytes), arg.typeBytes),
    ),
  );
  // fields[1]: TransactionTarget::Stored { id: ByPackageHash { addr, version: None }, runtime }.
  const target = calltable([
    u8(1),
    calltable([u8(2), packageHash, u8(0)]),
    calltable([u8(0)]), // VmCasperV1
  ]);
  // fields[2]: TransactionEntryPoint::Custom(name); fields[3]: TransactionScheduling::Standard.
  const entryPoint = calltable([u8(1), stringBytes(input.entryPoint)]);
  const scheduling = calltable([u8(0)]);
  const fields = concatBytes(
    u32LE(4),
    ...[args, target, entryPoint, scheduling].map((value, index) =>
      concatBytes(u16LE(index), lengthPrefixed(value)),
    ),
  );

  const payloadBytes = calltable([
    calltable([u8(0), hexToBytes(initiator.hex)]), // InitiatorAddr::PublicKey
    u64LE(BigInt(input.timestampMs), 'timestampMs'),
    u64LE(BigInt(input.ttlMs), 'ttlMs'),
    stringBytes(input.chainName),
    calltable([
      u8(0), // PricingMode::PaymentLimited
      u64LE(input.paymentMotes, 'paymentMotes'),
      u8(tolerance),
      u8(1), // standard_payment
    ]),
    fields,
  ]);

  const payloadJson = {
    initiator_addr: { PublicKey: initiator.hex },
    timestamp: new Date(input.timestampMs).toISOString(),
    ttl: ttlToJson(input.ttlMs),
    pricing_mode: {
      PaymentLimited: {
        gas_price_tolerance: tolerance,
        payment_amount: Number(input.paymentMotes),
        standard_payment: true,
      },
    },
    chain_name: input.chainName,
    fields: {
      args: {
        Named: input.args.map(([name, arg]) => [
          name,
          { bytes: bytesToHex(arg.valueBytes), cl_type: arg.typeJson },
        ]),
      },
      target: {
        Stored: {
          id: { ByPackageHash: { addr: bytesToHex(packageHash) } },
          runtime: 'VmCasperV1',
        },
      },
      entry_point: { Custom: input.entryPoint },
      scheduling: 'Standard',
    },
  };
  if (input.paymentMotes > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new X402InputError('paymentMotes', 'is too large');
  }
  return { hash: blake2b256(payloadBytes), payloadBytes, payloadJson };
}

/** Whatever signs the transaction hash for the initiator (a key here, or the keyring). */
export type HashSigner = (hash: Uint8Array) => Promise<string> | string;

/** The node JSON `account_put_transaction` takes under `{Version1: …}`, signed once. */
export async function signTransactionV1(
  tx: UnsignedTransactionV1,
  signer: string,
  sign: HashSigner,
): Promise<TransactionV1Json> {
  return approvedTransactionV1(tx, signer, await sign(tx.hash));
}

/** The node JSON of `tx` with one approval: `signature` (tagged hex) by `signer` over its hash. */
export function approvedTransactionV1(
  tx: UnsignedTransactionV1,
  signer: string,
  signature: string,
): TransactionV1Json {
  return {
    hash: bytesToHex(tx.hash),
    payload: tx.payloadJson,
    approvals: [{ signer: parsePublicKey(signer, 'signer').hex, signature }],
  };
}

/** Signs with a secret key held here. */
export function signTransactionV1WithKey(
  tx: UnsignedTransactionV1,
  key: SecretKey,
): Promise<TransactionV1Json> {
  return signTransactionV1(tx, key.publicKey.hex, (hash) => signDigest(key, hash));
}
