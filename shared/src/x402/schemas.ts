import { type Static, Type } from '@sinclair/typebox';

// x402 version 2 wire types. Objects allow extra properties, as the protocol lets
// implementations add fields; every property listed here is type-checked.

const NonEmpty = Type.String({ minLength: 1, maxLength: 2048 });
const Extra = Type.Record(Type.String(), Type.Unknown());

export const X402_VERSION = 2;

export const ResourceInfoSchema = Type.Object({
  url: Type.String({ minLength: 1, maxLength: 4096 }),
  description: Type.Optional(Type.String({ maxLength: 4096 })),
  mimeType: Type.Optional(Type.String({ maxLength: 256 })),
});
export type ResourceInfo = Static<typeof ResourceInfoSchema>;

export const PaymentRequirementsSchema = Type.Object({
  scheme: NonEmpty,
  network: NonEmpty,
  amount: NonEmpty,
  asset: NonEmpty,
  payTo: NonEmpty,
  maxTimeoutSeconds: Type.Integer({ minimum: 1, maximum: 86_400 }),
  extra: Type.Optional(Extra),
});
export type PaymentRequirements = Static<typeof PaymentRequirementsSchema>;

export const PaymentRequiredSchema = Type.Object({
  x402Version: Type.Integer(),
  error: Type.Optional(Type.String({ maxLength: 4096 })),
  resource: ResourceInfoSchema,
  accepts: Type.Array(PaymentRequirementsSchema, { maxItems: 32 }),
  extensions: Type.Optional(Extra),
});
export type PaymentRequired = Static<typeof PaymentRequiredSchema>;

export const PaymentPayloadSchema = Type.Object({
  x402Version: Type.Integer(),
  resource: Type.Optional(ResourceInfoSchema),
  accepted: PaymentRequirementsSchema,
  payload: Extra,
  extensions: Type.Optional(Extra),
});
export type PaymentPayload = Static<typeof PaymentPayloadSchema>;

/** The `payload` of a Casper `exact` PaymentPayload. */
export const ExactCasperPayloadSchema = Type.Object({
  signature: Type.String({ maxLength: 256 }),
  publicKey: Type.String({ maxLength: 256 }),
  authorization: Type.Object({
    from: Type.String({ maxLength: 256 }),
    to: Type.String({ maxLength: 256 }),
    value: Type.String({ maxLength: 128 }),
    validAfter: Type.String({ maxLength: 64 }),
    validBefore: Type.String({ maxLength: 64 }),
    nonce: Type.String({ maxLength: 256 }),
  }),
});
export type ExactCasperPayload = Static<typeof ExactCasperPayloadSchema>;

export const VerifyRequestSchema = Type.Object({
  x402Version: Type.Integer(),
  paymentPayload: PaymentPayloadSchema,
  paymentRequirements: PaymentRequirementsSchema,
});
export type VerifyRequest = Static<typeof VerifyRequestSchema>;

export const SettleRequestSchema = VerifyRequestSchema;
export type SettleRequest = VerifyRequest;

export const VerifyResponseSchema = Type.Object({
  isValid: Type.Boolean(),
  invalidReason: Type.Optional(Type.String()),
  invalidMessage: Type.Optional(Type.String()),
  payer: Type.Optional(Type.String()),
});
export type VerifyResponse = Static<typeof VerifyResponseSchema>;

export const SettleResponseSchema = Type.Object({
  success: Type.Boolean(),
  errorReason: Type.Optional(Type.String()),
  errorMessage: Type.Optional(Type.String()),
  payer: Type.Optional(Type.String()),
  transaction: Type.String(),
  network: Type.String(),
});
export type SettleResponse = Static<typeof SettleResponseSchema>;

export const SupportedKindSchema = Type.Object({
  x402Version: Type.Integer(),
  scheme: NonEmpty,
  network: NonEmpty,
  extra: Type.Optional(Extra),
});
export type SupportedKind = Static<typeof SupportedKindSchema>;

export const SupportedResponseSchema = Type.Object({
  kinds: Type.Array(SupportedKindSchema),
  extensions: Type.Array(Type.String()),
  signers: Type.Record(Type.String(), Type.Array(Type.String())),
});
export type SupportedResponse = Static<typeof SupportedResponseSchema>;
