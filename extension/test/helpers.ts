import { readFileSync } from 'node:fs';
import {
  encodePaymentRequired,
  type PaymentRequired,
  type PaymentRequirements,
} from '@x402-casper/shared';
import type { RetryReport } from '../lib/outcome.js';
import type { PaidPageLoader } from '../lib/paid-load.js';
import type { PortLike } from '../lib/pay-port.js';
import type { ApprovalWindows } from '../lib/payments.js';
import type { PortReply } from '../lib/protocol.js';

interface VectorKey {
  algorithm: 'ed25519' | 'secp256k1';
  secretKeyHex: string;
  publicKey: string;
  accountHash: string;
  address: string;
  balancesItemKey: string;
  secretKeyPem: string;
}

export const vectors = JSON.parse(
  readFileSync(new URL('../../shared/test/fixtures/cep3009-exact.json', import.meta.url), 'utf8'),
) as { keys: VectorKey[]; paymentRequirements: PaymentRequirements };

export const PASSWORD = 'correct horse battery';
export const TOKEN = {
  packageHash: vectors.paymentRequirements.asset,
  name: 'Casper x402 Token',
  symbol: 'CX402',
  decimals: 6,
};

/** A 402 body as a resource server would send it, on testnet in the vectors' token. */
export function paymentRequired(
  accepts: Partial<PaymentRequirements>[] = [{}],
  resource = { url: 'https://news.example/api/weather?city=Oslo', description: 'Weather in Oslo' },
): PaymentRequired {
  return {
    x402Version: 2,
    resource,
    accepts: accepts.map((patch) => ({ ...vectors.paymentRequirements, ...patch })),
  };
}

export function header(accepts?: Partial<PaymentRequirements>[]): string {
  return encodePaymentRequired(paymentRequired(accepts));
}

/** Approval windows that only record what was opened and closed. */
export class FakeWindows implements ApprovalWindows {
  opened: string[] = [];
  closed: number[] = [];
  private next = 100;
  async open(approvalId: string) {
    this.opened.push(approvalId);
    return this.next++;
  }
  async close(windowId: number) {
    this.closed.push(windowId);
  }
}

/** Paid page loads as a test drives them: which were asked for, and the answer to give. */
export class FakePages implements PaidPageLoader {
  granted = new Set<string>();
  loads: { tabId: number; url: string; signature: string }[] = [];
  answer: RetryReport | null = { status: 200 };
  async canLoad(origin: string) {
    return this.granted.has(origin);
  }
  async load(tabId: number, url: string, signature: string) {
    this.loads.push({ tabId, url, signature });
    return this.answer;
  }
}

/** A runtime.Port stand-in: records what the background posts, lets the test post back. */
export function fakePort(sender: PortLike['sender'], name = 'x402-pay') {
  const received: PortReply[] = [];
  const onMessage: ((message: unknown) => void)[] = [];
  const onDisconnect: (() => void)[] = [];
  let connected = true;
  const port: PortLike = {
    name,
    sender,
    postMessage: (message) => {
      if (!connected) throw new Error('posted to a closed port');
      received.push(message);
    },
    disconnect: () => {
      connected = false;
    },
    onMessage: { addListener: (listener) => onMessage.push(listener) },
    onDisconnect: { addListener: (listener) => onDisconnect.push(listener) },
  };
  return {
    port,
    received,
    isConnected: () => connected,
    /** The content script sends a message. */
    send: (message: unknown) => {
      for (const listener of onMessage) listener(message);
    },
    /** The tab goes away. */
    close: () => {
      connected = false;
      for (const listener of onDisconnect) listener();
    },
  };
}

export function tabSender(tabId: number, origin: string, frameId = 0) {
  return {
    id: 'test-extension-id',
    tab: { id: tabId, url: `${origin}/page` },
    frameId,
    origin,
    url: `${origin}/page`,
  };
}
