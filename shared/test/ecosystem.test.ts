// The @x402/core scheme plug-ins, on their own: what they make, what they refuse.
import { describe, expect, it } from 'vitest';
import {
  addressOfPublicKey,
  type CasperAsset,
  ExactCasperClientScheme,
  ExactCasperServerScheme,
  type PaymentRequirements,
  secretKeyFromHex,
  secretKeySigner,
  verifyPayment,
  X402InputError,
} from '../src/index.js';
import { vectors } from './vectors.js';

const key = vectors.keys[0]!;
const payee = vectors.keys[2]!;
const NETWORK = 'casper:casper-test';
const token: CasperAsset = {
  packageHash: vectors.paymentRequirements.asset,
  name: 'Casper x402 Token',
  decimals: 6,
  symbol: 'CX402',
};
const other = 'ab'.repeat(32);
type Network = `${string}:${string}`;
const signer = secretKeySigner(secretKeyFromHex(key.algorithm, key.secretKeyHex));
const kind = { x402Version: 2, scheme: 'exact', network: NETWORK } as const;

/** Requirements as @x402/core builds them before the scheme enhances them. */
function base(amount: string, asset: string, extra: Record<string, unknown>) {
  return {
    scheme: 'exact',
    network: NETWORK as `${string}:${string}`,
    amount,
    asset,
    payTo: payee.address,
    maxTimeoutSeconds: 300,
    extra,
  };
}

/** Runs `act` and returns the field of the X402InputError it throws. */
async function fieldOf(act: () => unknown): Promise<string> {
  try {
    await act();
  } catch (error) {
    if (error instanceof X402InputError) return error.field;
    throw error;
  }
  throw new Error('did not throw');
}

describe('ExactCasperServerScheme', () => {
  const server = new ExactCasperServerScheme({ assets: [token] });

  it('declares the one payment flow Casper exact has', () => {
    expect(server.scheme).toBe('exact');
    expect(server.defaultAssetTransferMethod).toBe('default');
    expect(server.paymentFlows).toEqual({
      default: { supported: ['authorization'], default: 'authorization' },
    });
  });

  it('prices token units in the first asset, with its signing domain', async () => {
    const expected = {
      asset: token.packageHash,
      amount: '250000',
      extra: { name: token.name, version: '1', decimals: 6, symbol: 'CX402' },
    };
    await expect(server.parsePrice('0.25', NETWORK)).resolves.toEqual(expected);
    await expect(server.parsePrice(0.25, NETWORK)).resolves.toEqual(expected);
    await expect(server.parsePrice('1', NETWORK)).resolves.toMatchObject({ amount: '1000000' });
  });

  it('takes an AssetAmount in atomic units, adding the domain of a listed asset', async () => {
    await expect(
      server.parsePrice({ asset: token.packageHash.toUpperCase(), amount: '7' }, NETWORK),
    ).resolves.toEqual({
      asset: token.packageHash,
      amount: '7',
      extra: { name: token.name, version: '1', decimals: 6, symbol: 'CX402' },
    });
    await expect(
      server.parsePrice({ asset: other, amount: '7', extra: { name: 'Other' } }, NETWORK),
    ).resolves.toEqual({ asset: other, amount: '7', extra: { name: 'Other' } });
  });

  it('refuses prices it cannot turn into an exact amount, naming the field', async () => {
    // No dollar stablecoin is known on a local network.
    expect(await fieldOf(() => server.parsePrice('$0.25', 'casper:casper-net-1'))).toBe('price');
    expect(await fieldOf(() => server.parsePrice('$0.0000001', NETWORK))).toBe('price');
    expect(await fieldOf(() => server.parsePrice('$-1', NETWORK))).toBe('price');
    expect(await fieldOf(() => server.parsePrice('$0', NETWORK))).toBe('price');
    expect(await fieldOf(() => server.parsePrice('$1e3', NETWORK))).toBe('price');
    expect(await fieldOf(() => server.parsePrice('0', NETWORK))).toBe('price');
    expect(await fieldOf(() => server.parsePrice('0.0000001', NETWORK))).toBe('price');
    expect(await fieldOf(() => server.parsePrice('-1', NETWORK))).toBe('price');
    expect(await fieldOf(() => server.parsePrice(Number.NaN, NETWORK))).toBe('price');
    expect(await fieldOf(() => server.parsePrice('0.25', 'eip155:8453'))).toBe('network');
    expect(await fieldOf(() => server.parsePrice({ asset: 'USDC', amount: '1' }, NETWORK))).toBe(
      'price.asset',
    );
    expect(await fieldOf(() => server.parsePrice({ asset: other, amount: '0' }, NETWORK))).toBe(
      'price.amount',
    );
    expect(await fieldOf(() => server.parsePrice({ asset: other, amount: '1.5' }, NETWORK))).toBe(
      'price.amount',
    );
  });

  it('refuses a bad asset list at construction, naming the entry', async () => {
    expect(
      await fieldOf(
        () => new ExactCasperServerScheme({ assets: 'csprUSD' as unknown as CasperAsset[] }),
      ),
    ).toBe('assets');
    expect(
      await fieldOf(() => new ExactCasperServerScheme({ assets: [{ ...token, domainName: '' }] })),
    ).toBe('assets[0].domainName');
    expect(
      await fieldOf(
        () => new ExactCasperServerScheme({ assets: [token, { ...token, packageHash: 'hash-1' }] }),
      ),
    ).toBe('assets[1].packageHash');
    expect(
      await fieldOf(() => new ExactCasperServerScheme({ assets: [{ ...token, name: '' }] })),
    ).toBe('assets[0].name');
    expect(
      await fieldOf(() => new ExactCasperServerScheme({ assets: [{ ...token, decimals: 40 }] })),
    ).toBe('assets[0].decimals');
  });

  it('completes requirements: normalised payee, domain from the facilitator for an unlisted asset', async () => {
    const listed = await server.parsePrice('0.01', NETWORK);
    const requirements = {
      ...base(listed.amount, listed.asset, listed.extra ?? {}),
      payTo: payee.address.toUpperCase().replace(/^0([01])/, '0$1'),
    };
    await expect(server.enhancePaymentRequirements(requirements, kind, [])).resolves.toEqual({
      ...requirements,
      payTo: payee.address,
    });

    const advertised = {
      ...kind,
      extra: { assets: [{ asset: other.toUpperCase(), name: 'Other', version: '2', decimals: 9 }] },
    };
    await expect(
      server.enhancePaymentRequirements(base('5', other, {}), advertised, []),
    ).resolves.toMatchObject({ extra: { name: 'Other', version: '2', decimals: 9 } });
    // What the site configured wins over what the facilitator says.
    await expect(
      server.enhancePaymentRequirements(
        base('5', other, { name: 'Mine', version: '1' }),
        advertised,
        [],
      ),
    ).resolves.toMatchObject({ extra: { name: 'Mine', version: '1', decimals: 9 } });
  });

  it('refuses requirements no payer could sign for', async () => {
    expect(
      await fieldOf(() => server.enhancePaymentRequirements(base('5', other, {}), kind, [])),
    ).toBe('requirements.extra.name');
    const listed = base('5', token.packageHash, { name: token.name, version: '1' });
    expect(
      await fieldOf(() =>
        server.enhancePaymentRequirements({ ...listed, payTo: '0x1234' }, kind, []),
      ),
    ).toBe('requirements.payTo');
  });
});

describe('ExactCasperServerScheme with known tokens', () => {
  const csprUsd = {
    'casper:casper': '23036be872bd574590a2c43d4a4eff76b18b4bca815790742841002fdab22cee',
    'casper:casper-test': '0cb6f94834c60510d532b0ae077b18b4100874a4c867396d61c2b13c790ead52',
  } as const;
  const csprUsdExtra = { name: 'csprUSD', version: '1', decimals: 6, symbol: 'csprUSD' };

  it.each(Object.entries(csprUsd))(
    'prices "$0.01" in csprUSD on %s without naming a token: 10000 units',
    async (network, packageHash) => {
      const bare = new ExactCasperServerScheme();
      const expected = { asset: packageHash, amount: '10000', extra: csprUsdExtra };
      await expect(bare.parsePrice('$0.01', network as Network)).resolves.toEqual(expected);
      await expect(bare.parsePrice(' $ 0.01 ', network as Network)).resolves.toEqual(expected);
      // Token units, with no token listed, are units of the network's default token.
      await expect(bare.parsePrice('0.01', network as Network)).resolves.toEqual(expected);
      // A site that lists its own token still has "$" prices paid in dollars.
      const listed = new ExactCasperServerScheme({ assets: [token] });
      await expect(listed.parsePrice('$0.01', network as Network)).resolves.toEqual(expected);
      await expect(listed.parsePrice('0.01', network as Network)).resolves.toMatchObject({
        asset: token.packageHash,
      });
    },
  );

  it('adds the signing domain of a known token to an AssetAmount and to bare requirements', async () => {
    const bare = new ExactCasperServerScheme({ assets: [] });
    await expect(
      bare.parsePrice({ asset: csprUsd['casper:casper-test'], amount: '5' }, NETWORK),
    ).resolves.toEqual({ asset: csprUsd['casper:casper-test'], amount: '5', extra: csprUsdExtra });
    await expect(
      bare.enhancePaymentRequirements(base('5', csprUsd['casper:casper-test'], {}), kind, []),
    ).resolves.toMatchObject({ extra: csprUsdExtra });
    // The mainnet package is not a known token on testnet.
    expect(
      await fieldOf(() =>
        bare.enhancePaymentRequirements(base('5', csprUsd['casper:casper'], {}), kind, []),
      ),
    ).toBe('requirements.extra.name');
  });

  it('refuses token units on a network with no default token and none listed', async () => {
    const bare = new ExactCasperServerScheme();
    expect(await fieldOf(() => bare.parsePrice('0.01', 'casper:casper-net-1'))).toBe('price');
    expect(await fieldOf(() => bare.parsePrice('$0.01', 'casper:casper-net-1'))).toBe('price');
  });

  it('puts the domain name, not the CEP-18 name, in extra.name', async () => {
    const poc = new ExactCasperServerScheme({
      assets: [{ ...token, name: 'Casper x402 Token', domainName: 'Cep18x402' }],
    });
    await expect(poc.parsePrice('1', NETWORK)).resolves.toMatchObject({
      extra: { name: 'Cep18x402', version: '1' },
    });
  });

  it('reads decimals a facilitator advertises as a string, and normalises them', async () => {
    const bare = new ExactCasperServerScheme();
    const advertised = {
      ...kind,
      extra: { assets: [{ asset: other, name: 'Cep18x402', version: '1', decimals: '2' }] },
    };
    await expect(
      bare.enhancePaymentRequirements(base('5', other, {}), advertised, []),
    ).resolves.toMatchObject({ extra: { name: 'Cep18x402', version: '1', decimals: 2 } });
    await expect(
      bare.enhancePaymentRequirements(
        base('5', other, { name: 'Cep18x402', version: '1', decimals: '2' }),
        kind,
        [],
      ),
    ).resolves.toMatchObject({ extra: { decimals: 2 } });
    expect(
      await fieldOf(() =>
        bare.enhancePaymentRequirements(
          base('5', other, { name: 'Cep18x402', version: '1', decimals: '2.5' }),
          kind,
          [],
        ),
      ),
    ).toBe('requirements.extra.decimals');
  });
});

describe('ExactCasperClientScheme', () => {
  const client = new ExactCasperClientScheme(signer);

  async function requirementsFor(
    price: string,
  ): Promise<
    PaymentRequirements & { network: `${string}:${string}`; extra: Record<string, unknown> }
  > {
    const server = new ExactCasperServerScheme({ assets: [token] });
    const parsed = await server.parsePrice(price, NETWORK);
    return server.enhancePaymentRequirements(
      base(parsed.amount, parsed.asset, parsed.extra ?? {}),
      kind,
      [],
    );
  }

  it('signs what the server scheme asks for, and the exact rules accept it', async () => {
    const requirements = await requirementsFor('0.25');
    const result = await client.createPaymentPayload(2, requirements);
    expect(result.x402Version).toBe(2);
    // x402Client wraps the scheme's payload with the requirements it chose.
    const paymentPayload = { x402Version: 2, accepted: requirements, payload: result.payload };
    expect(verifyPayment(paymentPayload, requirements)).toEqual({
      isValid: true,
      payer: addressOfPublicKey(signer.publicKey),
    });
    expect(result.payload).toMatchObject({
      publicKey: signer.publicKey,
      authorization: { to: payee.address, value: '250000' },
    });
  });

  it('pays up to the spend cap x402Client passes, not above', async () => {
    const requirements = await requirementsFor('0.25');
    await expect(
      client.createPaymentPayload(2, requirements, { maxAmountPerPayment: '250000' }),
    ).resolves.toMatchObject({ x402Version: 2 });
    expect(
      await fieldOf(() =>
        client.createPaymentPayload(2, requirements, { maxAmountPerPayment: '249999' }),
      ),
    ).toBe('requirements.amount');
    expect(
      await fieldOf(() =>
        client.createPaymentPayload(2, requirements, { maxAmountPerPayment: '1e6' }),
      ),
    ).toBe('maxAmountPerPayment');
  });

  it('refuses other versions, networks and malformed requirements', async () => {
    const requirements = await requirementsFor('0.25');
    expect(await fieldOf(() => client.createPaymentPayload(1, requirements))).toBe('x402Version');
    expect(
      await fieldOf(() =>
        client.createPaymentPayload(2, { ...requirements, network: 'eip155:8453' }),
      ),
    ).toBe('requirements.network');
    expect(
      await fieldOf(() => client.createPaymentPayload(2, { ...requirements, extra: {} })),
    ).toBe('requirements.extra.name');
    expect(
      await fieldOf(() => client.createPaymentPayload(2, { ...requirements, scheme: 'upto' })),
    ).toBe('requirements.scheme');
  });

  it('tells x402Client which tokens are dollar stablecoins (csprUSD), and no others', () => {
    expect(
      client.findDefaultAsset(
        '0CB6F94834C60510D532B0AE077B18B4100874A4C867396D61C2B13C790EAD52',
        'casper:casper-test',
      ),
    ).toEqual({
      asset: '0cb6f94834c60510d532b0ae077b18b4100874a4c867396d61c2b13c790ead52',
      decimals: 6,
      symbol: 'csprUSD',
    });
    expect(
      client.findDefaultAsset(
        '23036be872bd574590a2c43d4a4eff76b18b4bca815790742841002fdab22cee',
        'casper:casper',
      ),
    ).toMatchObject({ decimals: 6, symbol: 'csprUSD' });
    expect(
      client.findDefaultAsset(
        '23036be872bd574590a2c43d4a4eff76b18b4bca815790742841002fdab22cee',
        'casper:casper-test',
      ),
    ).toBeUndefined();
    expect(client.findDefaultAsset(token.packageHash, NETWORK)).toBeUndefined();
  });
});
