import { browser } from 'wxt/browser';
import type { WalletMethod, WalletMethods, WalletResponse } from '../lib/api.js';

/** A refused wallet call; `field` names the input that was wrong, when one was. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly retryAt?: number,
  ) {
    super(message);
  }
}

/** Calls the background wallet; resolves with its value or throws an ApiError. */
export async function call<M extends WalletMethod>(
  method: M,
  params: WalletMethods[M][0],
): Promise<WalletMethods[M][1]> {
  const response = (await browser.runtime.sendMessage({ method, params })) as
    | WalletResponse
    | undefined;
  if (!response) throw new ApiError('internal', 'The wallet did not answer.');
  if (!response.ok) {
    const { code, message, field, retryAt } = response.error;
    throw new ApiError(code, message, field, retryAt);
  }
  return response.value as WalletMethods[M][1];
}
