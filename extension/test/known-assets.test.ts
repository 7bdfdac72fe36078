// Tokens the wallet knows out of the box (csprUSD on mainnet and testnet, from shared's
// KNOWN_ASSETS) and amounts of sites that send extra.decimals as a string.
import { KNOWN_ASSETS } from '@x402-casper/shared';
import { beforeEach, describe, expect, it } from 'vitest';
import { browser } from 'wxt/browser';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { payableOptions } from '../lib/options.js';
import { DEFAULT_NETWORKS, DEFAULT_TOKENS, SettingsStore } from '../lib/settings.js';
import { paymentRequired, TOKEN } from './helpers.js';

const CSPRUSD = {
  'casper:casper': '23036be872bd574590a2c43d4a4eff76b18b4bca815790742841002fdab22cee',
  'casper:casper-test': '0cb6f94834c60510d532b0ae077b18b4100874a4c867396d61c2b13c790ead52',
} as const;
const csprUsdOn = (network: keyof typeof CSPRUSD) => ({
  packageHash: CSPRUSD[network],
  name: 'csprUSD',
  symbol: 'csprUSD',
  decimals: 6,
});
const DEVNET_TOKEN = DEFAULT_TOKENS['casper:casper-net-1']![0]!;

let settings: SettingsStore;
beforeEach(() => {
  fakeBrowser.reset();
  settings = new SettingsStore();
});

describe('token names saved before they were cleaned', () => {
  it('are cleaned as they are read', async () => {
    await browser.storage.local.set({
      tokens: {
        'casper:casper-test': [{ ...TOKEN, name: 'Casper\u202E nekoT\u200B x402' }],
      },
    });
    expect(await settings.tokens('casper:casper-test')).toEqual([
      { ...TOKEN, name: 'Casper nekoT x402' },
    ]);
  });
});

describe('tokens known out of the box', () => {
  it('knows csprUSD on mainnet and testnet, and the devnet token locally', async () => {
    expect(await settings.tokens('casper:casper')).toEqual([csprUsdOn('casper:casper')]);
    expect(await settings.tokens('casper:casper-test')).toEqual([csprUsdOn('casper:casper-test')]);
    expect(await settings.tokens('casper:casper-net-1')).toEqual([DEVNET_TOKEN]);
    expect(await settings.tokens('casper:elsewhere')).toEqual([]);
    expect(await settings.tokens('constructor')).toEqual([]);
    // One table: the wallet's defaults are shared's known assets.
    for (const [network, assets] of Object.entries(KNOWN_ASSETS)) {
      expect(DEFAULT_TOKENS[network]?.map((t) => t.packageHash)).toEqual(
        assets.map((a) => a.packageHash),
      );
    }
  });

  it('gives a wallet saved before csprUSD existed the defaults of the networks it never edited', async () => {
    const custom = { ...TOKEN, packageHash: 'ab'.repeat(32), symbol: 'MINE' };
    await browser.storage.local.set({ tokens: { 'casper:casper-net-1': [DEVNET_TOKEN, custom] } });
    expect(await settings.tokens('casper:casper-test')).toEqual([csprUsdOn('casper:casper-test')]);
    expect(await settings.tokens('casper:casper-net-1')).toEqual([DEVNET_TOKEN, custom]);
  });

  it('keeps a removed default removed, and only that network changed', async () => {
    await settings.removeToken('casper:casper-test', CSPRUSD['casper:casper-test']);
    expect(await settings.tokens('casper:casper-test')).toEqual([]);
    expect(await settings.tokens('casper:casper')).toEqual([csprUsdOn('casper:casper')]);
    expect(await new SettingsStore().tokens('casper:casper-test')).toEqual([]);
  });

  it('takes symbols with dots inside (USDC.e), and cleans a typed name like site text', async () => {
    const bridged = await settings.addToken('casper:casper-test', {
      ...TOKEN,
      name: 'USD\u202Eniol\u200B Coin',
      symbol: 'USDC.e',
    });
    expect(bridged).toMatchObject({ name: 'USD niol Coin', symbol: 'USDC.e' });
    for (const symbol of ['.USDC', 'USDC.', 'US DC', 'U\u202ESD']) {
      await expect(
        settings.addToken('casper:casper-test', { ...TOKEN, symbol }),
      ).rejects.toMatchObject({ field: 'symbol' });
    }
    await expect(
      settings.addToken('casper:casper-test', { ...TOKEN, name: '\u200B\u202E' }),
    ).rejects.toMatchObject({ field: 'name' });
  });

  it('adds a token beside the defaults', async () => {
    const added = await settings.addToken('casper:casper-test', TOKEN);
    expect(await settings.tokens('casper:casper-test')).toEqual([
      csprUsdOn('casper:casper-test'),
      added,
    ]);
    expect(await settings.tokens('casper:casper')).toEqual([csprUsdOn('casper:casper')]);
  });
});

describe('what the approval shows', () => {
  const networks = Object.values(DEFAULT_NETWORKS);
  const tokensNow = async () => {
    const all = new Map<string, Awaited<ReturnType<SettingsStore['tokens']>>>();
    for (const network of networks) all.set(network.id, await settings.tokens(network.id));
    return (id: string) => all.get(id) ?? [];
  };

  it('a csprUSD payment on testnet is a known token, with no warning', async () => {
    const [option] = payableOptions(
      paymentRequired([
        {
          asset: CSPRUSD['casper:casper-test'],
          extra: { name: 'csprUSD', version: '1', decimals: 6, symbol: 'csprUSD' },
        },
      ]),
      networks,
      await tokensNow(),
    );
    expect(option).toMatchObject({ symbol: 'csprUSD', decimals: 6, warnings: [] });
    expect(option!.token?.name).toBe('csprUSD');
  });

  it('reads decimals sent as a string, and still warns when they differ from the known token', async () => {
    const tokens = await tokensNow();
    const [same] = payableOptions(
      paymentRequired([
        {
          asset: CSPRUSD['casper:casper-test'],
          extra: { name: 'csprUSD', version: '1', decimals: '6', symbol: 'csprUSD' },
        },
      ]),
      networks,
      tokens,
    );
    expect(same).toMatchObject({ decimals: 6, warnings: [] });
    const [lying] = payableOptions(
      paymentRequired([
        {
          asset: CSPRUSD['casper:casper-test'],
          extra: { name: 'csprUSD', version: '1', decimals: '12', symbol: 'csprUSD' },
        },
      ]),
      networks,
      tokens,
    );
    expect(lying!.decimals).toBe(6);
    expect(lying!.warnings[0]).toMatch(/says this token has 12 decimals/);
  });

  it('shows an unknown token with the string decimals the Go server sends, and drops bad ones', () => {
    const [option] = payableOptions(
      paymentRequired([
        { extra: { name: 'Cep18x402', version: '1', decimals: '2', symbol: 'X402' } },
      ]),
      networks,
      () => [],
    );
    expect(option).toMatchObject({ decimals: 2, symbol: 'X402', token: undefined });
    expect(
      payableOptions(
        paymentRequired([{ extra: { name: 'Cep18x402', version: '1', decimals: '2.5' } }]),
        networks,
        () => [],
      ),
    ).toEqual([]);
  });
});
