// The node's own OpenRPC schema (the JSON of ../shared/reference/casper-rpc-schema.json), for
// checking the devnet's answers against each method's result schema.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { expect } from 'vitest';

const openrpc = JSON.parse(
  readFileSync(new URL('./fixtures/casper-rpc-schema.json', import.meta.url), 'utf8'),
) as { methods: Array<{ name: string }> };
const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
ajv.addSchema(openrpc, 'openrpc');

/** The validator of `method`'s result schema. */
export function resultSchemaOf(method: string) {
  const index = openrpc.methods.findIndex((candidate) => candidate.name === method);
  const validate = ajv.getSchema(`openrpc#/methods/${index}/result/schema`);
  if (!validate) throw new Error(`no result schema for ${method}`);
  return validate;
}

/** Asserts that `result` is what the node's schema allows `method` to answer. */
export function expectConforms(method: string, result: unknown): void {
  const validate = resultSchemaOf(method);
  expect(validate(result), `${method}: ${JSON.stringify(validate.errors)}`).toBe(true);
}
