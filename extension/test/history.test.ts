import { describe, expect, it } from 'vitest';
import { ChainReader } from '../lib/chain.js';
import { explorerUrl, historyCsv, type PaymentRecord } from '../lib/history.js';
import { FakeChain } from './helpers.js';

const tx = 'AB'.repeat(32);

describe('history for the person', () => {
  it('links confirmed transactions to cspr.live on mainnet and testnet only', () => {
    expect(explorerUrl('casper:casper', tx)).toBe(
      `https://cspr.live/transaction/${'ab'.repeat(32)}`,
    );
    expect(explorerUrl('casper:casper-test', tx)).toBe(
      `https://testnet.cspr.live/transaction/${'ab'.repeat(32)}`,
    );
    expect(explorerUrl('casper:casper-net-1', tx)).toBeUndefined();
    expect(explorerUrl('casper:casper', 'javascript:alert(1)')).toBeUndefined();
  });

  it('exports CSV with quoted cells, token units, and no formula a spreadsheet would run', () => {
    const record: PaymentRecord = {
      id: '1',
      time: Date.UTC(2026, 11, 1, 9, 0, 0),
      origin: 'https://news.example',
      requester: 'https://news.example',
      url: '=HYPERLINK("https://evil.example","click")',
      network: 'casper:casper-test',
      asset: 'aa'.repeat(32),
      symbol: 'CX402',
      decimals: 6,
      knownToken: true,
      amount: '10000',
      payTo: `00${'11'.repeat(32)}`,
      status: 'paid',
      transaction: tx,
      chain: {
        state: 'confirmed',
        checkedAt: 0,
        transfer: { transaction: tx, is: 'this-payment', executed: true },
      },
      message: 'The site reported "paid"',
    };
    const [header, row] = historyCsv([record]).split('\r\n');
    expect(header).toMatch(/^"time","site","page","resource","amount","symbol"/);
    expect(row).toContain('"2026-12-01T09:00:00.000Z","https://news.example",""');
    expect(row).toContain(`"'=HYPERLINK(""https://evil.example"",""click"")"`);
    expect(row).toContain('"0.01","CX402","10000"');
    expect(row).toContain('"confirmed"');
    expect(row).toContain(`"https://testnet.cspr.live/transaction/${'ab'.repeat(32)}"`);
    expect(row).toContain('"The site reported ""paid"""');
  });
});

describe('token metadata from the chain', () => {
  it("reads name, symbol and decimals from the contract's named keys", async () => {
    const chain = new FakeChain(Date.now());
    const text = (value: string) => {
      const bytes = new TextEncoder().encode(value);
      const length = [bytes.length, 0, 0, 0].map((b) => b.toString(16).padStart(2, '0')).join('');
      return { cl_type: 'String', bytes: length + Buffer.from(bytes).toString('hex') };
    };
    chain.namedKeys = {
      name: `uref-${'0a'.repeat(32)}-007`,
      symbol: `uref-${'0b'.repeat(32)}-007`,
      decimals: `uref-${'0c'.repeat(32)}-007`,
    };
    chain.urefValues = {
      [chain.namedKeys.name!]: text('Casper x402 Token'),
      [chain.namedKeys.symbol!]: text('CX402'),
      [chain.namedKeys.decimals!]: { cl_type: 'U8', bytes: '06' },
    };
    const reader = new ChainReader('http://node.example/rpc', chain.fetch);
    expect(await reader.tokenMetadata('ee'.repeat(32))).toEqual({
      name: 'Casper x402 Token',
      symbol: 'CX402',
      decimals: 6,
    });
  });
});
