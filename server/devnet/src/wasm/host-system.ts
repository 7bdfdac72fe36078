// Host functions for the execution's environment, purses and cryptography
// (casper-network/casper-node execution_engine/src/runtime/externals.rs and runtime/mod.rs,
// feat-2.0). Purses: an account's main purse is its balance in the devnet's accounts; other
// purses are `balance-…` values. casper_verify_signature as the 2.0 resolver declares it (six
// i32 arguments: message, signature, public key; 0 when valid, InvalidArgument when not).
import { createHash } from 'node:crypto';
import {
  bigUintLE,
  blake2b256,
  bytesToHex,
  hexToBytes,
  u32LE,
  u64LE,
  utf8ToBytes,
  verifySignature,
} from '@x402-casper/shared';
import { apiError } from './api-error.js';
import { clValue, publicKey, Reader, signature, urefBytes } from './bytesrepr.js';
import { ExecutionFailure } from './failures.js';
import type { Execution } from './host.js';
import { err, type HostFunction, ok, urefFrom } from './host-support.js';
import type { HostName } from './signatures.js';

/** System contract hashes get_system_contract answers (mint, handle payment, standard payment, auction). */
const SYSTEM_CONTRACTS = ['mint', 'handle_payment', 'standard_payment', 'auction'].map((name) =>
  blake2b256(utf8ToBytes(`x402-casper devnet system contract ${name}`)),
);

/** The account whose main purse `purse` is, if any. */
function accountOfPurse(exec: Execution, purse: string) {
  const addr = purse.slice(5, 69);
  const owner = Object.values(exec.overlay.base.accounts).find((a) => a.mainPurse === addr);
  return owner ? exec.overlay.account(owner.accountHash) : undefined;
}

function purseBalance(exec: Execution, purse: string): bigint | undefined {
  const account = accountOfPurse(exec, purse);
  if (account) return BigInt(account.motes);
  const entry = exec.overlay.get(`balance-${purse.slice(5, 69)}`);
  if (!entry || !('CLValue' in entry)) return undefined;
  return new Reader(hexToBytes(entry.CLValue.bytes)).bigUint(64);
}

function setPurseBalance(exec: Execution, purse: string, amount: bigint): void {
  const account = accountOfPurse(exec, purse);
  if (account) {
    account.motes = amount.toString();
    exec.overlay.putAccount(account);
    return;
  }
  exec.writeEntry(`balance-${purse.slice(5, 69)}`, {
    CLValue: clValue('U512', bigUintLE(amount)),
  });
}

export const SYSTEM_FUNCTIONS = {
  casper_get_caller(frame, [sizePtr]) {
    if (frame.hostBuffer) return err('HostBufferFull');
    return this.toHostBuffer(
      frame,
      clValue({ ByteArray: 32 }, hexToBytes(this.initiator)),
      sizePtr!,
    );
  },

  casper_get_blocktime(frame, [destPtr]) {
    this.set(frame, destPtr!, u64LE(BigInt(this.blockTimeMs)));
    return undefined;
  },

  casper_get_phase(frame, [destPtr]) {
    this.set(frame, destPtr!, new Uint8Array([2]));
    return undefined;
  },

  casper_get_main_purse(frame, [destPtr]) {
    const account = this.overlay.account(this.initiator);
    if (!account) throw new ExecutionFailure('Invalid context');
    this.set(frame, destPtr!, urefBytes(`uref-${account.mainPurse}-007`));
    return undefined;
  },

  casper_get_system_contract(frame, [index, destPtr, destSize]) {
    const hash = SYSTEM_CONTRACTS[index!];
    if (!hash) return err('InvalidSystemContract');
    if (destSize! < 32) return err('BufferTooSmall');
    this.set(frame, destPtr!, hash);
    return ok;
  },

  casper_create_purse(frame, [destPtr, destSize]) {
    if (destSize! < 33) return err('PurseNotCreated');
    const purse = this.newUnitURef();
    setPurseBalance(this, purse, 0n);
    this.set(frame, destPtr!, urefBytes(purse));
    return ok;
  },

  casper_get_balance(frame, [ptr, size, sizePtr]) {
    if (frame.hostBuffer) return err('HostBufferFull');
    const balance = purseBalance(this, urefFrom(this, frame, ptr!, size!));
    if (balance === undefined) return err('InvalidPurse');
    return this.toHostBuffer(frame, clValue('U512', bigUintLE(balance)), sizePtr!);
  },

  casper_transfer_from_purse_to_purse(
    frame,
    [srcPtr, srcSize, dstPtr, dstSize, amountPtr, amountSize],
  ) {
    const source = urefFrom(this, frame, srcPtr!, srcSize!);
    const target = urefFrom(this, frame, dstPtr!, dstSize!);
    const amount = this.from(frame, amountPtr!, amountSize!, (r) => r.bigUint(64));
    const from = purseBalance(this, source);
    if (from === undefined || purseBalance(this, target) === undefined) return err('InvalidPurse');
    if (from < amount) return apiError('Transfer');
    setPurseBalance(this, source, from - amount);
    setPurseBalance(this, target, purseBalance(this, target)! + amount);
    return ok;
  },

  casper_transfer_from_purse_to_account(
    frame,
    [srcPtr, srcSize, accountPtr, accountSize, amountPtr, amountSize, _idPtr, _idSize, resultPtr],
  ) {
    const source = urefFrom(this, frame, srcPtr!, srcSize!);
    const accountHash = this.from(frame, accountPtr!, accountSize!, (r) => bytesToHex(r.take(32)));
    const amount = this.from(frame, amountPtr!, amountSize!, (r) => r.bigUint(64));
    const from = purseBalance(this, source);
    if (from === undefined) return err('InvalidPurse');
    if (from < amount) return apiError('Transfer');
    const account = this.overlay.account(accountHash);
    if (!account) return apiError('Transfer');
    setPurseBalance(this, source, from - amount);
    const target = this.overlay.account(accountHash)!;
    target.motes = (BigInt(target.motes) + amount).toString();
    this.overlay.putAccount(target);
    this.set(frame, resultPtr!, u32LE(0));
    return ok;
  },

  casper_blake2b(frame, [inPtr, inSize, outPtr, outSize]) {
    const digest = blake2b256(this.bytes(frame, inPtr!, inSize!));
    if (outSize !== digest.length) return err('BufferTooSmall');
    this.set(frame, outPtr!, digest);
    return ok;
  },

  casper_generic_hash(frame, [inPtr, inSize, algorithm, outPtr, outSize]) {
    const input = this.bytes(frame, inPtr!, inSize!);
    let digest: Uint8Array;
    if (algorithm === 0) digest = blake2b256(input);
    else if (algorithm === 2) digest = new Uint8Array(createHash('sha256').update(input).digest());
    else return err('InvalidArgument');
    if (digest.length > outSize!) return err('BufferTooSmall');
    this.set(frame, outPtr!, digest);
    return ok;
  },

  casper_random_bytes(frame, [outPtr, outSize]) {
    const bytes = this.randomBytes();
    if (outSize !== bytes.length) return err('BufferTooSmall');
    this.set(frame, outPtr!, bytes);
    return ok;
  },

  casper_verify_signature(frame, [msgPtr, msgSize, sigPtr, sigSize, keyPtr, keySize]) {
    const message = this.bytes(frame, msgPtr!, msgSize!);
    const sig = this.from(frame, sigPtr!, sigSize!, signature);
    const key = this.from(frame, keyPtr!, keySize!, publicKey);
    return verifySignature(key, message, sig) ? ok : err('InvalidArgument');
  },
} satisfies Partial<Record<HostName, HostFunction>>;
