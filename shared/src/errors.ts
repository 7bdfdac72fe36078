/**
 * The one error type `shared` throws for bad input. `field` names what was wrong
 * (a JSON path such as `accepted.payTo`, or an argument name such as `publicKey`).
 */
export class X402InputError extends Error {
  override readonly name = 'X402InputError';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}
