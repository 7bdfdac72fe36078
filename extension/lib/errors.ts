/**
 * A wallet operation that cannot go ahead, with a code the UI can act on and a message a
 * person can read. Bad input uses shared's X402InputError (it names the field) instead.
 */
export type WalletErrorCode =
  | 'no_wallet'
  | 'wallet_exists'
  | 'locked'
  | 'wrong_password'
  | 'throttled'
  | 'not_found'
  | 'no_site_access'
  | 'unsupported';

export class WalletError extends Error {
  override readonly name = 'WalletError';
  constructor(
    readonly code: WalletErrorCode,
    message: string,
    /** For `throttled`: when the next attempt is allowed (ms since epoch). */
    readonly retryAt?: number,
  ) {
    super(message);
  }
}
