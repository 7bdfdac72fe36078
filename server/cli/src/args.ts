import { type ParseArgsConfig, parseArgs } from 'node:util';

/** Bad command-line input: the CLI prints the message alone, without a stack. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

/** `node:util` parseArgs with strict checking, reporting mistakes as a UsageError. */
export function parseOptions<T extends Options>(
  args: string[],
  options: T,
  allowPositionals = false,
): ReturnType<
  typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: boolean }>
> {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** A whole number option within bounds, e.g. `--port`. */
export function integerOption(
  value: string | undefined,
  name: string,
  fallback: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value))
    throw new UsageError(`--${name} must be a whole number, got "${value}"`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}`);
  return n;
}
