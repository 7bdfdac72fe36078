import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { X402InputError } from '../errors.js';

/** JSON pointer `/accepted/payTo` → `root.accepted.payTo`. */
function fieldOf(root: string, pointer: string): string {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  return [root, ...parts].filter(Boolean).join('.') || root;
}

/**
 * Checks `value` against `schema` (TypeBox's interpreter: no code generation, safe in an
 * MV3 service worker) and returns it typed, or throws an X402InputError naming the first
 * offending field.
 */
export function checkSchema<S extends TSchema>(schema: S, value: unknown, root: string): Static<S> {
  if (Value.Check(schema, value)) return value as Static<S>;
  const error = Value.Errors(schema, value).First();
  throw new X402InputError(
    error ? fieldOf(root, error.path) : root,
    error ? error.message.toLowerCase() : 'is invalid',
  );
}
