import { decodePaymentRequired } from '@x402-casper/shared';
import { describe, expect, it } from 'vitest';
import { orderOptions, payableOptions } from '../lib/options.js';
import { DEFAULT_NETWORKS } from '../lib/settings.js';
import { header, paymentRequired, TOKEN } from './helpers.js';

const networks = Object.values(DEFAULT_NETWORKS);
const known = (id: string) => (id === 'casper:casper-test' ? [TOKEN] : []);
const none = () => [];

describe('402 parsing and option choice', () => {
  it('keeps only Casper exact options the wallet can sign, with their place in accepts', () => {
    const required = paymentRequired([
      { scheme: 'upto' },
      { network: 'eip155:8453' },
      { network: 'casper:somewhere-else' },
      { asset: 'not-a-hash' },
      { amount: '0' },
      { extra: { version: '1' } },
      { payTo: `02${'ab'.repeat(32)}` },
      {},
      { network: 'casper:casper', amount: '5' },
    ]);
    const options = payableOptions(required, networks, known);
    expect(options.map((o) => o.index)).toEqual([7, 8]);
    expect(options[0]).toMatchObject({
      amount: '10000',
      symbol: 'CX402',
      decimals: 6,
      token: TOKEN,
      warnings: [],
      network: { kind: 'testnet' },
    });
  });

  it('decodes the header the way a server sends it', () => {
    const options = payableOptions(decodePaymentRequired(header()), networks, known);
    expect(options).toHaveLength(1);
  });

  it('warns about a token the person does not know and shows what the site claims', () => {
    const [option] = payableOptions(
      paymentRequired([{ extra: { name: 'X', version: '1', decimals: 2, symbol: 'CSPR' } }]),
      networks,
      none,
    );
    expect(option).toMatchObject({ token: undefined, symbol: 'CSPR', decimals: 2 });
    expect(option!.warnings[0]).toMatch(/Unknown token/);
  });

  it('shows amounts with the known token decimals when the site claims others', () => {
    const [option] = payableOptions(
      paymentRequired([
        { extra: { name: 'Casper x402 Token', version: '1', decimals: 18, symbol: 'CX402' } },
      ]),
      networks,
      known,
    );
    expect(option!.decimals).toBe(6);
    expect(option!.warnings[0]).toMatch(/says this token has 18 decimals/);
  });

  it('puts the active network first, then known tokens, else keeps the site order', () => {
    const required = paymentRequired([
      { network: 'casper:casper', amount: '1' },
      { asset: 'ab'.repeat(32), amount: '2' },
      { amount: '3' },
      { network: 'casper:casper-net-1', amount: '4' },
    ]);
    const options = payableOptions(required, networks, known);
    expect(orderOptions(options, 'casper:casper-test').map((o) => o.amount)).toEqual([
      '3',
      '2',
      '1',
      '4',
    ]);
    expect(orderOptions(options, 'casper:casper').map((o) => o.amount)).toEqual([
      '1',
      '3',
      '2',
      '4',
    ]);
  });
});

describe('text a site wrote', () => {
  it('loses bidi controls and invisible characters, and is clipped', async () => {
    const { siteText } = await import('../lib/text.js');
    expect(siteText('\u202EDSU\u202C', 12)).toBe('DSU');
    // Format characters show as a space (something was there); fillers draw nothing.
    expect(siteText('a\u200Bb\u200Dc\u2066d\u2069\uFEFFe\u00ADf\u3164g', 40)).toBe('a b c d e fg');
    expect(siteText('  two\n\tlines  ', 40)).toBe('two lines');
    expect(siteText('x'.repeat(50), 10)).toBe(`${'x'.repeat(9)}…`);
    expect(siteText(42, 10)).toBe('');
  });

  it('keeps a zero-width joiner between emoji, and strips it elsewhere', async () => {
    const { siteText } = await import('../lib/text.js');
    // 👩‍💻, 👩🏽‍💻 (a skin tone before the joiner), 🏳️‍🌈 (VS16 before it; the VS16 itself goes).
    expect(siteText('Dev \u{1F469}\u200D\u{1F4BB}', 20)).toBe('Dev \u{1F469}\u200D\u{1F4BB}');
    expect(siteText('\u{1F469}\u{1F3FD}\u200D\u{1F4BB}', 20)).toBe(
      '\u{1F469}\u{1F3FD}\u200D\u{1F4BB}',
    );
    expect(siteText('\u{1F3F3}\uFE0F\u200D\u{1F308}', 20)).toBe('\u{1F3F3}\u200D\u{1F308}');
    // Between letters, or an emoji and a letter, it is not kept.
    expect(siteText('US\u200DDC', 20)).toBe('US DC');
    expect(siteText('\u{1F469}\u200Da', 20)).toBe('\u{1F469} a');
    expect(siteText('a\u200D\u{1F4BB}', 20)).toBe('a \u{1F4BB}');
  });
});
