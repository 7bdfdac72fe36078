import {
  type SettleRequest,
  SettleRequestSchema,
  type SettleResponse,
  SettleResponseSchema,
  type SupportedResponse,
  SupportedResponseSchema,
  type VerifyRequest,
  VerifyRequestSchema,
  type VerifyResponse,
  VerifyResponseSchema,
} from './schemas.js';
import { checkSchema } from './validate.js';

// Facilitator request and response bodies (already JSON-parsed), validated; each throws an
// X402InputError naming the first offending field.

export const parseVerifyRequest = (body: unknown): VerifyRequest =>
  checkSchema(VerifyRequestSchema, body, 'body');
export const parseSettleRequest = (body: unknown): SettleRequest =>
  checkSchema(SettleRequestSchema, body, 'body');
export const parseVerifyResponse = (body: unknown): VerifyResponse =>
  checkSchema(VerifyResponseSchema, body, 'body');
export const parseSettleResponse = (body: unknown): SettleResponse =>
  checkSchema(SettleResponseSchema, body, 'body');
export const parseSupportedResponse = (body: unknown): SupportedResponse =>
  checkSchema(SupportedResponseSchema, body, 'body');
