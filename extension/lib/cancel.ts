// Cancelling an authorization the person signed, with CEP-3009 cancel_authorization: the
// wallet signs CancelAuthorization (a digest, by the keyring), builds and signs a TransactionV1
// paid in CSPR from the same account, sends it, and says what the chain then says.
import {
  buildContractCall,
  CasperRpcUnavailableError,
  cancelAuthorizationDigest,
  chainNameOfNetwork,
  clArg,
  decodePaymentSignature,
  hexToBytes,
  signTransactionV1,
} from '@x402-casper/shared';
import { type ChainReader, chainErrorWords } from './chain.js';
import { WalletError } from './errors.js';
import type { CancelRecord, History, PaymentRecord } from './history.js';

/** The CSPR payment offered for cancel_authorization (PaymentLimited, in motes): 3 CSPR. */
export const CANCEL_PAYMENT_MOTES = 3_000_000_000n;
const CANCEL_TTL_MS = 30 * 60 * 1000;
/** How long the wallet waits for the transaction to execute (blocks are 8 s on mainnet). */
const WAIT_MS = 120_000;
const POLL_MS = 1_000;

/** What cancelling costs, shown before anything is signed. */
export interface CancelQuote {
  /** The CSPR payment in motes. */
  paymentMotes: string;
  /** The account's CSPR balance (motes) on chain, when it could be read. */
  balanceMotes?: string;
  balanceError?: string;
  /** Whether the balance covers the payment (undefined when unread). */
  enough?: boolean;
  /** The authorization's validBefore (ms since epoch). */
  validUntil: number;
}

export interface CancelOutcome {
  state: CancelRecord['state'];
  transaction?: string;
  message: string;
}

/** What a cancel needs from a record: the signer, the domain it signed under, the nonce. */
interface Signed {
  publicKey: string;
  authorizer: string;
  nonce: string;
  domainName: string;
  domainVersion: string;
  validUntil: number;
}

function signedOf(record: PaymentRecord): Signed {
  const auth = record.authorization;
  if (!auth || !record.paymentSignature) {
    throw new WalletError('not_found', 'No such authorization.');
  }
  const payload = decodePaymentSignature(record.paymentSignature);
  const inner = payload.payload as { publicKey?: unknown };
  const extra = (payload.accepted?.extra ?? {}) as { name?: unknown; version?: unknown };
  if (typeof inner.publicKey !== 'string' || typeof extra.name !== 'string') {
    throw new WalletError(
      'unsupported',
      'The wallet cannot tell how this authorization was signed.',
    );
  }
  return {
    publicKey: inner.publicKey,
    authorizer: auth.from,
    nonce: auth.nonce,
    domainName: extra.name,
    domainVersion: typeof extra.version === 'string' ? extra.version : '1',
    validUntil: Number(auth.validBefore) * 1000,
  };
}

const clockOf = (ms: number) =>
  new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

/** Throws `unsupported` in words when the token has no cancel_authorization entry point. */
export async function requireCancelEntryPoint(
  reader: ChainReader,
  record: PaymentRecord,
): Promise<void> {
  const { entryPoints } = await reader.contract(record.asset);
  if (!entryPoints.has('cancel_authorization')) {
    const until = clockOf(Number(record.authorization?.validBefore ?? 0) * 1000);
    throw new WalletError(
      'unsupported',
      `This token has no cancel_authorization entry point, so the authorization cannot be cancelled. It stays valid until ${until}: the site can collect it until then, and only once.`,
    );
  }
}

/** The cost of cancelling: the CSPR payment and the account's CSPR balance, from the chain. */
export async function cancelQuote(
  reader: ChainReader,
  record: PaymentRecord,
): Promise<CancelQuote> {
  const signed = signedOf(record);
  await requireCancelEntryPoint(reader, record);
  try {
    const balance = await reader.csprBalance(signed.publicKey);
    return {
      paymentMotes: CANCEL_PAYMENT_MOTES.toString(),
      balanceMotes: balance.toString(),
      enough: balance >= CANCEL_PAYMENT_MOTES,
      validUntil: signed.validUntil,
    };
  } catch (error) {
    return {
      paymentMotes: CANCEL_PAYMENT_MOTES.toString(),
      balanceError: chainErrorWords(error) ?? 'The wallet could not read your CSPR balance.',
      validUntil: signed.validUntil,
    };
  }
}

export interface CancelDeps {
  reader: ChainReader;
  history: History;
  /** Signs a 32-byte digest with the account's key (the keyring; keys never leave it). */
  signDigest: (publicKey: string, digest: Uint8Array) => Promise<string>;
  now: () => number;
  sleep?: (ms: number) => Promise<void>;
  waitMs?: number;
}

/**
 * Signs CancelAuthorization and the transaction, sends it, and waits until it executed and
 * the nonce reads used (or the node says why not). Records each step in the history.
 */
export async function cancelAuthorization(
  deps: CancelDeps,
  record: PaymentRecord,
): Promise<CancelOutcome> {
  const { reader, history, now } = deps;
  const sleep = deps.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const signed = signedOf(record);
  await requireCancelEntryPoint(reader, record);
  const used = await reader.nonceUsed(record.asset, signed.authorizer, signed.nonce);
  if (used === true) {
    throw new WalletError(
      'not_found',
      'This authorization was already collected (or cancelled): its nonce reads used on chain.',
    );
  }

  const cancelSignature = await deps.signDigest(
    signed.publicKey,
    cancelAuthorizationDigest({
      name: signed.domainName,
      version: signed.domainVersion,
      chainName: record.network,
      contractPackageHash: record.asset,
      authorizer: signed.authorizer,
      nonce: signed.nonce,
    }),
  );
  const unsigned = buildContractCall({
    chainName: chainNameOfNetwork(record.network),
    initiator: signed.publicKey,
    packageHash: record.asset,
    entryPoint: 'cancel_authorization',
    args: [
      ['authorizer', clArg.key(signed.authorizer, 'authorizer')],
      ['nonce', clArg.bytes(hexToBytes(signed.nonce, 'nonce', 32))],
      ['public_key', clArg.publicKey(signed.publicKey)],
      ['signature', clArg.bytes(hexToBytes(cancelSignature, 'signature', 65))],
    ],
    paymentMotes: CANCEL_PAYMENT_MOTES,
    // A node refuses a timestamp more than 2 s ahead: a little behind is safe.
    timestampMs: now() - 1_000,
    ttlMs: CANCEL_TTL_MS,
  });
  const transaction = await signTransactionV1(unsigned, signed.publicKey, (hash) =>
    deps.signDigest(signed.publicKey, hash),
  );

  const write = (cancel: CancelRecord) => history.update(record.id, { cancel });
  const base = {
    transaction: transaction.hash,
    paymentMotes: CANCEL_PAYMENT_MOTES.toString(),
    time: now(),
  };
  // A refusal means it will not run; no answer means the node may have it: the chain tells.
  let sendError: unknown;
  try {
    await reader.putTransaction(transaction);
  } catch (error) {
    sendError = error;
  }
  if (sendError !== undefined && !(sendError instanceof CasperRpcUnavailableError)) {
    const words = chainErrorWords(sendError) ?? 'The node could not be reached.';
    await write({ ...base, state: 'failed', error: words });
    return {
      state: 'failed',
      transaction: transaction.hash,
      message: `The node refused the cancel: ${words}`,
    };
  }
  await write({ ...base, state: 'submitted' });

  const deadline = now() + (deps.waitMs ?? WAIT_MS);
  while (now() < deadline) {
    const state = await reader
      .transaction(transaction.hash)
      .catch(() => ({ state: 'pending' }) as const);
    if (state.state === 'reverted') {
      await write({ ...base, state: 'failed', error: state.error });
      return {
        state: 'failed',
        transaction: transaction.hash,
        message: `The cancel transaction failed on chain: ${state.error}.`,
      };
    }
    if (state.state === 'executed') {
      const nowUsed = await reader.nonceUsed(record.asset, signed.authorizer, signed.nonce);
      if (nowUsed !== false) {
        await write({ ...base, state: 'cancelled' });
        await history.update(record.id, (old) => ({
          status: 'failed',
          chain: {
            ...(old.chain ?? { validUntil: signed.validUntil }),
            state: 'cancelled',
            checkedAt: now(),
          },
        }));
        return {
          state: 'cancelled',
          transaction: transaction.hash,
          message: 'Cancelled on chain.',
        };
      }
    }
    if (state.state === 'unknown' && sendError !== undefined) {
      const words = chainErrorWords(sendError) ?? 'The node could not be reached.';
      await write({ ...base, state: 'failed', error: words });
      return {
        state: 'failed',
        transaction: transaction.hash,
        message: `The cancel did not reach the node: ${words}`,
      };
    }
    await sleep(POLL_MS);
  }
  return {
    state: 'submitted',
    transaction: transaction.hash,
    message: 'Sent; the chain has not executed it yet. The history will say when it does.',
  };
}
