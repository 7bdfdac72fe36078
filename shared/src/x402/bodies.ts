import { type TSchema, Type } from '@sinclair/typebox';
import { X402InputError } from '../errors.js';
import {
  type SettleRequest,
  SettleRequestSchema,
  type SettleResponse,
  SupportedKindSchema,
  type SupportedResponse,
  type VerifyRequest,
  VerifyRequestSchema,
  type VerifyResponse,
} from './schemas.js';
import { checkSchema } from './validate.js';

// Facilitator request and response bodies (already JSON-parsed), validated; each throws an
// X402InputError naming the first offending field.
//
// Requests are checked strictly. Responses come from facilitators we do not run, so their
// parsers take what real peers send and normalise it to the strict types of schemas.ts (the
// shape our own facilitator answers with): the Go reference (make-software/casper-x402, on
// the upstream x402 Go types) leaves out or nulls empty fields, e.g. `"extensions": null`, a
// failed settlement without `transaction`; other stacks send `null` for an absent reason.

export const parseVerifyRequest = (body: unknown): VerifyRequest =>
  checkSchema(VerifyRequestSchema, body, 'body');
export const parseSettleRequest = (body: unknown): SettleRequest =>
  checkSchema(SettleRequestSchema, body, 'body');

/** An optional field a peer may also send as `null`. */
const Absent = <T extends TSchema>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]));

const LooseVerifyResponseSchema = Type.Object({
  isValid: Type.Boolean(),
  invalidReason: Absent(Type.String()),
  invalidMessage: Absent(Type.String()),
  payer: Absent(Type.String()),
});

const LooseSettleResponseSchema = Type.Object({
  success: Type.Boolean(),
  errorReason: Absent(Type.String()),
  errorMessage: Absent(Type.String()),
  payer: Absent(Type.String()),
  transaction: Absent(Type.String()),
  network: Absent(Type.String()),
});

const LooseSupportedResponseSchema = Type.Object({
  kinds: Type.Array(SupportedKindSchema),
  extensions: Absent(Type.Array(Type.String())),
  signers: Absent(Type.Record(Type.String(), Type.Union([Type.Array(Type.String()), Type.Null()]))),
});

/** A copy of `body` without its `null` values among `keys` (other properties are kept). */
function withoutNulls<T extends object>(body: T, keys: readonly string[]): T {
  const copy = { ...body } as Record<string, unknown>;
  for (const key of keys) if (copy[key] === null) delete copy[key];
  return copy as T;
}

/** A /verify answer; `null` optional fields are dropped. */
export function parseVerifyResponse(body: unknown): VerifyResponse {
  const answer = checkSchema(LooseVerifyResponseSchema, body, 'body');
  return withoutNulls(answer, ['invalidReason', 'invalidMessage', 'payer']) as VerifyResponse;
}

/** What the reader of a settle answer knows of the payment it settles. */
export interface SettleContext {
  /** The network of the requirements paid: taken for a success that does not name one. */
  network?: string;
}

/**
 * A /settle answer (or a PAYMENT-RESPONSE, `root` naming it in errors). A failure may come
 * without `transaction` or `network` (both become `""`, or `known.network`); a success must
 * name its transaction, and its network unless `known` gives it.
 */
export function parseSettleResponse(
  body: unknown,
  known: SettleContext = {},
  root = 'body',
): SettleResponse {
  const answer = checkSchema(LooseSettleResponseSchema, body, root);
  const network = answer.network || known.network || '';
  if (answer.success) {
    if (typeof answer.transaction !== 'string' || answer.transaction.length === 0) {
      throw new X402InputError(
        `${root}.transaction`,
        'a successful settlement must name its transaction',
      );
    }
    if (network.length === 0) {
      throw new X402InputError(`${root}.network`, 'a successful settlement must name its network');
    }
  }
  const receipt = withoutNulls(answer, ['errorReason', 'errorMessage', 'payer']);
  return { ...receipt, transaction: answer.transaction ?? '', network } as SettleResponse;
}

/** A /supported answer; missing or `null` `extensions` and `signers` become `[]` and `{}`. */
export function parseSupportedResponse(body: unknown): SupportedResponse {
  const answer = checkSchema(LooseSupportedResponseSchema, body, 'body');
  const signers: Record<string, string[]> = {};
  for (const [family, addresses] of Object.entries(answer.signers ?? {})) {
    if (addresses !== null && family !== '__proto__') signers[family] = addresses;
  }
  return { ...answer, extensions: answer.extensions ?? [], signers };
}
