import { beforeEach, describe, expect, it } from 'vitest';
import { browser } from 'wxt/browser';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { STORAGE_VERSION, VERSION_KEY } from '../lib/migrations.js';
import { createWallet } from '../lib/wallet.js';
import { FakePages, FakeWindows, PASSWORD, vectors } from './helpers.js';

const [ed, secp] = vectors.keys;
let wallet: ReturnType<typeof createWallet>;
const call = (method: string, params: object = {}) => wallet.api.handle({ method, params });

beforeEach(async () => {
  fakeBrowser.reset();
  wallet = createWallet({ windows: new FakeWindows(), pages: new FakePages() });
  // As the background does: calls are served once storage is at this build's version.
  await wallet.ready;
});

describe('wallet calls from the popup', () => {
  it('onboards by importing a PEM and shows the account, never the secret', async () => {
    expect(await call('state')).toMatchObject({
      ok: true,
      value: { hasWallet: false, unlocked: false, account: null },
    });
    const created = await call('create', {
      password: PASSWORD,
      key: { kind: 'pem', pem: ed!.secretKeyPem },
    });
    expect(created).toMatchObject({
      ok: true,
      value: { publicKey: ed!.publicKey, accountHash: ed!.accountHash },
    });
    const state = await call('state');
    expect(state).toMatchObject({
      ok: true,
      value: {
        hasWallet: true,
        unlocked: true,
        account: { publicKey: ed!.publicKey },
        network: { kind: 'testnet' },
      },
    });
    expect(JSON.stringify(state)).not.toContain(ed!.secretKeyHex);
  });

  it('imports a hex secret and tells which field is wrong', async () => {
    expect(
      await call('create', {
        password: PASSWORD,
        key: { kind: 'hex', algorithm: 'secp256k1', hex: 'zz' },
      }),
    ).toMatchObject({
      ok: false,
      error: { code: 'invalid_input', field: 'secretKey' },
    });
    expect(
      await call('create', { password: PASSWORD, key: { kind: 'pem', pem: 'not a pem' } }),
    ).toMatchObject({
      ok: false,
      error: { code: 'invalid_input' },
    });
    expect(
      await call('create', {
        password: PASSWORD,
        key: { kind: 'hex', algorithm: 'rsa', hex: secp!.secretKeyHex },
      }),
    ).toMatchObject({
      ok: false,
      error: { field: 'algorithm' },
    });
    // Nothing but the storage version stamped at start.
    expect(await browser.storage.local.get(null)).toEqual({ [VERSION_KEY]: STORAGE_VERSION });
    expect(
      await call('create', {
        password: PASSWORD,
        key: { kind: 'hex', algorithm: 'secp256k1', hex: `0x${secp!.secretKeyHex}` },
      }),
    ).toMatchObject({ ok: true, value: { publicKey: secp!.publicKey } });
  });

  it('creates a fresh ed25519 key by default shape and refuses unknown calls', async () => {
    const created = await call('create', {
      password: PASSWORD,
      key: { kind: 'generate', algorithm: 'ed25519' },
    });
    expect(created).toMatchObject({
      ok: true,
      value: { algorithm: 'ed25519', publicKey: expect.stringMatching(/^01[0-9a-f]{64}$/) },
    });
    expect(await call('signAnything', { digest: '00' })).toMatchObject({
      ok: false,
      error: { field: 'method' },
    });
    expect(await call('updateSettings', { autoLockMinutes: 0 })).toMatchObject({
      ok: false,
      error: { field: 'autoLockMinutes' },
    });
    expect(await call('updateNetwork', { kind: 'local', id: 'eip155:1' })).toMatchObject({
      ok: false,
      error: { field: 'id' },
    });
    expect(await call('updateNetwork', { kind: 'testnet', id: 'casper:x' })).toMatchObject({
      ok: false,
      error: { field: 'id' },
    });
    expect(await call('updateNetwork', { kind: 'local', rpcUrl: 'ftp://x' })).toMatchObject({
      ok: false,
      error: { field: 'rpcUrl' },
    });
    expect(
      await call('updateNetwork', {
        kind: 'local',
        rpcUrl: 'http://127.0.0.1:7777/rpc',
        id: 'casper:dev-net',
      }),
    ).toMatchObject({
      ok: true,
      value: { id: 'casper:dev-net', rpcUrl: 'http://127.0.0.1:7777/rpc' },
    });
    expect(
      await call('addToken', {
        networkId: 'casper:dev-net',
        token: { packageHash: 'xyz', name: 'T', symbol: 'T', decimals: 6 },
      }),
    ).toMatchObject({
      ok: false,
      error: { field: 'packageHash' },
    });
    expect(
      await call('setBudget', {
        key: {
          origin: 'https://a.example',
          network: 'casper:casper-test',
          asset: 'aa'.repeat(32),
          payTo: 'x',
        },
        maxPerDay: '1',
        maxPerPayment: '1',
      }),
    ).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
  });

  it('exports PEM only with the password, and locks now', async () => {
    await call('create', { password: PASSWORD, key: { kind: 'pem', pem: ed!.secretKeyPem } });
    expect(await call('exportPem', { password: 'nope', publicKey: ed!.publicKey })).toMatchObject({
      ok: false,
      error: { code: 'wrong_password' },
    });
    const exported = await call('exportPem', { password: PASSWORD, publicKey: ed!.publicKey });
    expect(exported).toMatchObject({
      ok: true,
      value: expect.stringContaining('BEGIN PRIVATE KEY'),
    });
    await call('lock');
    expect(await call('state')).toMatchObject({ value: { unlocked: false } });
  });
});
