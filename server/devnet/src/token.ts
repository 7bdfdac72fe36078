// The CEP-18 token with CEP-3009 transfer_with_authorization, executed the way the deployed
// contract does it: the same checks in the same order, the same revert codes.
import {
  type ArgLayout,
  addressOfPublicKey,
  balancesItemKey,
  cancelAuthorizationDigest,
  layoutArgs,
  transferWithAuthorizationDigest,
  verifySignature,
} from '@x402-casper/shared';
import { type CLValueJson, cl } from './clvalue.js';
import type { NonceStorage } from './genesis.js';
import {
  balanceOf,
  dictionaryAddress,
  nonceDictionary,
  nonceStorageKey,
  setBalance,
  type TokenState,
  usedNonceValue,
} from './state.js';

/** Revert codes, shown by a node as `User error: <code>`. */
export const TOKEN_ERRORS = {
  nonceUsed: 37000,
  expired: 37001,
  notYetValid: 37002,
  invalidSignature: 37003,
  publicKeyMismatch: 37004,
  /** cancel_authorization of a nonce already used or cancelled (CEP-3009). */
  authorizationUsed: 37006,
  insufficientBalance: 60001,
} as const;

/**
 * The codes a token like the Cep18X402 proof of concept reverts with (its own error enum, observed
 * by running the binary): the devnet's `odra-state` tokens answer with these.
 */
export const CEP18X402_ERRORS = {
  nonceUsed: 1,
  expired: 2,
  notYetValid: 3,
  invalidSignature: 4,
  publicKeyMismatch: 6,
  insufficientBalance: 60001,
} as const;

/** The revert codes of `token`: the CEP's, or those of the proof of concept it imitates. */
function errorsOf(token: TokenState): Record<keyof typeof CEP18X402_ERRORS, number> {
  return token.nonceStorage === 'odra-state' ? CEP18X402_ERRORS : TOKEN_ERRORS;
}

/** A runtime argument as the devnet keeps it: its CLType (JSON) and decoded value. */
export interface ArgValue {
  /** JSON of the cl_type, e.g. `"U256"` or `{"List":"U8"}`. */
  type: string;
  /** Decimal for numbers, 66-hex address for account/hash Keys, hex for bytes and public keys; null when the devnet cannot read it. */
  value: string | null;
}

/** Thrown by a contract call; the execution result shows `message` and nothing changes. */
export class Revert extends Error {}

const userError = (code: number) => new Revert(`User error: ${code}`);

export interface EntryPointSpec {
  name: string;
  args: Array<[string, unknown]>;
  ret: unknown;
}

const BYTES = { List: 'U8' };

/**
 * The contract's entry points. transfer_with_authorization names its amount and types its
 * window as the token's layout says (`amount-u64`, `value-u64`, `amount-u256`). Tokens that
 * keep nonces in Odra's `state` (the Cep18X402 proof of concept) have no cancel_authorization;
 * the others have the CEP's.
 */
export function entryPointsOf(
  layout: ArgLayout,
  nonceStorage: NonceStorage = 'used_nonces',
): EntryPointSpec[] {
  const { amount, window } = layoutArgs(layout);
  const cancel: EntryPointSpec[] =
    nonceStorage === 'odra-state'
      ? []
      : [
          {
            name: 'cancel_authorization',
            args: [
              ['authorizer', 'Key'],
              ['nonce', BYTES],
              ['public_key', 'PublicKey'],
              ['signature', BYTES],
            ],
            ret: 'Unit',
          },
        ];
  return [
    {
      name: 'transfer_with_authorization',
      args: [
        ['from', 'Key'],
        ['to', 'Key'],
        [amount, 'U256'],
        ['valid_after', window],
        ['valid_before', window],
        ['nonce', BYTES],
        ['public_key', 'PublicKey'],
        ['signature', BYTES],
      ],
      ret: 'Unit',
    },
    ...cancel,
    {
      name: 'transfer',
      args: [
        ['recipient', 'Key'],
        ['amount', 'U256'],
      ],
      ret: 'Unit',
    },
    { name: 'balance_of', args: [['address', 'Key']], ret: 'U256' },
    { name: 'name', args: [], ret: 'String' },
    { name: 'symbol', args: [], ret: 'String' },
    { name: 'decimals', args: [], ret: 'U8' },
    { name: 'total_supply', args: [], ret: 'U256' },
  ];
}

/** A write to global state, as an execution result's `effects` lists it. */
export interface Effect {
  key: string;
  kind: { Write: { CLValue: CLValueJson } };
}

export interface CallContext {
  /** `00` + account hash of the transaction's initiator. */
  caller: string;
  blockTimeMs: number;
  /** CAIP-2 id of the chain: the signing domain's `chain_name`. */
  network: string;
}

/** Reads the declared args in order: a missing one or one of another type reverts. */
function readArgs(spec: EntryPointSpec, args: Record<string, ArgValue>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, type] of spec.args) {
    const arg = args[name];
    if (!arg) throw new Revert('ApiError::MissingArgument [2]');
    if (arg.type !== JSON.stringify(type) || arg.value === null) {
      throw new Revert('ApiError::InvalidArgument [3]');
    }
    values[name] = arg.value;
  }
  return values;
}

function transfer(token: TokenState, from: string, to: string, amount: bigint, effects: Effect[]) {
  const fromBalance = balanceOf(token, from);
  if (fromBalance < amount) throw userError(TOKEN_ERRORS.insufficientBalance);
  setBalance(token, from, fromBalance - amount);
  setBalance(token, to, balanceOf(token, to) + amount);
  for (const address of new Set([from, to])) {
    effects.push({
      key: `dictionary-${dictionaryAddress(token.urefs.balances, balancesItemKey(address))}`,
      kind: { Write: { CLValue: cl.u256(balanceOf(token, address)) } },
    });
  }
}

function transferWithAuthorization(
  token: TokenState,
  a: Record<string, string>,
  context: CallContext,
  effects: Effect[],
) {
  const from = a.from as string;
  const amount = a[layoutArgs(token.argLayout).amount] as string;
  const errors = errorsOf(token);
  let itemKey: string;
  try {
    itemKey = nonceStorageKey(token, from, a.nonce as string);
  } catch {
    // A nonce that is not 32 bytes cannot have been signed.
    throw userError(errors.invalidSignature);
  }
  if (token.usedNonces[itemKey]) throw userError(errors.nonceUsed);
  const now = BigInt(Math.floor(context.blockTimeMs / 1000));
  if (!(now > BigInt(a.valid_after as string))) throw userError(errors.notYetValid);
  if (!(now < BigInt(a.valid_before as string))) throw userError(errors.expired);
  if (addressOfPublicKey(a.public_key as string) !== from) {
    throw userError(errors.publicKeyMismatch);
  }
  let digest: Uint8Array;
  try {
    digest = transferWithAuthorizationDigest({
      name: token.domainName,
      version: '1',
      chainName: context.network,
      contractPackageHash: token.packageHash,
      from,
      to: a.to as string,
      value: amount,
      validAfter: a.valid_after as string,
      validBefore: a.valid_before as string,
      nonce: a.nonce as string,
    });
  } catch {
    // A nonce that is not 32 bytes cannot have been signed.
    throw userError(errors.invalidSignature);
  }
  if (!verifySignature(a.public_key as string, digest, a.signature as string)) {
    throw userError(errors.invalidSignature);
  }
  token.usedNonces[itemKey] = true;
  effects.push({
    key: `dictionary-${dictionaryAddress(nonceDictionary(token), itemKey)}`,
    kind: { Write: { CLValue: usedNonceValue(token) } },
  });
  transfer(token, from, a.to as string, BigInt(amount), effects);
}

/**
 * CEP-3009 cancel_authorization: nonce unused (37006), `authorizer` equals the address of
 * `public_key` (37004), the signature over CancelAuthorization under the token's domain is
 * valid (37003); then the nonce is marked used. Nothing is transferred.
 */
function cancelAuthorization(
  token: TokenState,
  a: Record<string, string>,
  context: CallContext,
  effects: Effect[],
) {
  const authorizer = a.authorizer as string;
  let itemKey: string;
  try {
    itemKey = nonceStorageKey(token, authorizer, a.nonce as string);
  } catch {
    throw userError(TOKEN_ERRORS.invalidSignature);
  }
  if (token.usedNonces[itemKey]) throw userError(TOKEN_ERRORS.authorizationUsed);
  if (addressOfPublicKey(a.public_key as string) !== authorizer) {
    throw userError(TOKEN_ERRORS.publicKeyMismatch);
  }
  let digest: Uint8Array;
  try {
    digest = cancelAuthorizationDigest({
      name: token.domainName,
      version: '1',
      chainName: context.network,
      contractPackageHash: token.packageHash,
      authorizer,
      nonce: a.nonce as string,
    });
  } catch {
    throw userError(TOKEN_ERRORS.invalidSignature);
  }
  if (!verifySignature(a.public_key as string, digest, a.signature as string)) {
    throw userError(TOKEN_ERRORS.invalidSignature);
  }
  token.usedNonces[itemKey] = true;
  effects.push({
    key: `dictionary-${dictionaryAddress(nonceDictionary(token), itemKey)}`,
    kind: { Write: { CLValue: usedNonceValue(token) } },
  });
}

/**
 * Runs an entry point against `token`, mutating it. Throws `Revert` on failure, after which
 * the caller must discard the token's changes.
 */
export function executeEntryPoint(
  token: TokenState,
  entryPoint: string,
  args: Record<string, ArgValue>,
  context: CallContext,
): Effect[] {
  const spec = entryPointsOf(token.argLayout, token.nonceStorage).find(
    (candidate) => candidate.name === entryPoint,
  );
  if (!spec) throw new Revert('ApiError::MissingKey [1]');
  const values = readArgs(spec, args);
  const effects: Effect[] = [];
  if (spec.name === 'transfer_with_authorization') {
    transferWithAuthorization(token, values, context, effects);
  } else if (spec.name === 'cancel_authorization') {
    cancelAuthorization(token, values, context, effects);
  } else if (spec.name === 'transfer') {
    transfer(
      token,
      context.caller,
      values.recipient as string,
      BigInt(values.amount as string),
      effects,
    );
  }
  return effects;
}
