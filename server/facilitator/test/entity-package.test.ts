// A token whose package is a Casper 2.x `Package` of addressable entities (its current version
// an AddressableEntity, not a Contract): the devnet answers its package through an RPC proxy
// that rewrites it so. /verify and /settle refuse it as an unsupported token naming what was
// found, before any gas is spent, and /health lists it as unsettleable.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Devnet, defaultDevAccounts, startDevnet } from '@x402-casper/devnet';
import { addressOfPublicKey } from '@x402-casper/shared';
import { FaultyProxy, paymentFor, postJson, requirementsFor, tempDir } from '@x402-casper/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Facilitator } from '../src/app.js';
import { facilitatorOn } from './helpers.js';

const dir = tempDir('entity-package');
const [feePayer, merchant, alice] = defaultDevAccounts();
const ENTITY = 'e7'.repeat(32);
let devnet: Devnet;
let proxy: FaultyProxy;
let facilitator: Facilitator & { url: string };

/** The token's package as a node with addressable entities stores it. */
const entityPackage = {
  Package: {
    versions: [
      {
        entity_version_key: { protocol_version_major: 2, entity_version: 1 },
        addressable_entity_hash: `addressable-entity-${ENTITY}`,
      },
    ],
    disabled_versions: [],
    groups: [],
    lock_status: 'Unlocked',
  },
};

beforeAll(async () => {
  devnet = await startDevnet({ port: 0, blockTimeMs: 0 });
  proxy = new FaultyProxy(devnet.rpcUrl);
  await proxy.start();
  const packageKey = `hash-${devnet.tokens[0]!.packageHash}`;
  proxy.rewrites.set('query_global_state', (answer, params) => {
    if ((params as { key?: string }).key !== packageKey) return answer;
    const result = answer.result as Record<string, unknown>;
    return { ...answer, result: { ...result, stored_value: entityPackage } };
  });
  facilitator = await facilitatorOn(devnet, {
    rpcUrl: proxy.url,
    database: join(dir, 'ledger.sqlite'),
    feePayer: feePayer.secretKey,
  });
});

afterAll(async () => {
  await facilitator?.close();
  await proxy?.close();
  await devnet?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a token whose package is a 2.x Package of addressable entities', () => {
  const token = () => devnet.tokens[0]!;
  const found = `its package is a Casper 2.x Package whose current version is the AddressableEntity ${ENTITY}; only Contract versions of a ContractPackage are read`;
  const problem = () => `token ${token().packageHash} cannot be settled: ${found}`;

  it('is refused at /verify and /settle as an unsupported token, naming what was found, and nothing is sent', async () => {
    const request = await paymentFor(
      alice.secretKey,
      requirementsFor(devnet.network, token(), addressOfPublicKey(merchant.publicKey), '100'),
    );
    const payer = addressOfPublicKey(alice.publicKey);
    expect((await postJson(`${facilitator.url}/verify`, request)).body).toEqual({
      isValid: false,
      invalidReason: 'invalid_exact_casper_unsupported_token',
      invalidMessage: problem(),
      payer,
    });
    expect((await postJson(`${facilitator.url}/settle`, request)).body).toEqual({
      success: false,
      errorReason: 'invalid_exact_casper_unsupported_token',
      errorMessage: problem(),
      payer,
      transaction: '',
      network: devnet.network,
    });
    expect(proxy.seen).not.toContain('account_put_transaction');
  });

  it('is listed by /health as a token that cannot be settled', async () => {
    const response = await fetch(`${facilitator.url}/health`);
    expect(response.status).toBe(503);
    const body = (await response.json()) as {
      networks: Array<{ ok: boolean; tokens: unknown[]; error: string }>;
    };
    expect(body.networks[0]).toMatchObject({
      ok: false,
      tokens: [{ asset: token().packageHash, problem: found }],
      error: `token ${token().packageHash} cannot be settled`,
    });
  });
});
