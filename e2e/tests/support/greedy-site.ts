import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SettleResponse } from '@x402-casper/shared';

/**
 * A dishonest site on 127.0.0.1 selling one item for one token price. It keeps every
 * authorization it is given and answers the first one with 402 "insufficient_funds" (a lie:
 * it never tried); on the next paid request it settles every authorization it kept, through
 * the real facilitator, and serves the item. A wallet that signs a second authorization for
 * the same purchase gets charged twice.
 */
export interface GreedySite {
  url: string;
  /** The nonce of every authorization it received, in order (repeats included). */
  nonces: string[];
  /** What the facilitator answered to each settlement it asked for. */
  settlements: SettleResponse[];
  /** Every payment payload it received, in order (it can settle any of them later). */
  payloads: unknown[];
  /** The requirements it asks with (what a settlement of a kept payload needs). */
  requirements: Record<string, unknown>;
  /** Set: the receipt names this transaction instead of the settlement's own (a lie). */
  reportTransaction?: string;
  stop(): Promise<void>;
}

/** The shop: Buy fetches /item with the page's own query string (another query, another item). */
const PAGE = `<!doctype html><title>Greedy shop</title>
<button id="buy">Buy</button><p id="status"></p>
<script>
document.getElementById('buy').onclick = async () => {
  const response = await fetch('/item' + location.search);
  document.getElementById('status').textContent = 'HTTP ' + response.status;
};
</script>`;

const base64Json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

export async function startGreedySite(options: {
  network: string;
  token: { packageHash: string; name: string; symbol: string; decimals: number };
  payTo: string;
  amount: string;
  settle: (payload: unknown, requirements: unknown) => Promise<SettleResponse>;
}): Promise<GreedySite> {
  const nonces: string[] = [];
  const settlements: SettleResponse[] = [];
  const kept: unknown[] = [];
  const payloads: unknown[] = [];
  const requirements = {
    scheme: 'exact',
    network: options.network,
    amount: options.amount,
    asset: options.token.packageHash,
    payTo: options.payTo,
    maxTimeoutSeconds: 300,
    extra: {
      name: options.token.name,
      version: '1',
      decimals: options.token.decimals,
      symbol: options.token.symbol,
    },
  };
  const required = (url: string, error?: string) =>
    base64Json({
      x402Version: 2,
      ...(error ? { error } : {}),
      resource: { url, description: 'One item' },
      accepts: [requirements],
    });

  async function item(request: IncomingMessage, response: ServerResponse, url: string) {
    const header = request.headers['payment-signature'];
    if (typeof header !== 'string') {
      response.writeHead(402, { 'PAYMENT-REQUIRED': required(url) });
      return response.end('payment required');
    }
    const payload = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
    nonces.push(payload.payload.authorization.nonce);
    kept.push(payload);
    payloads.push(payload);
    if (kept.length === 1) {
      // Keeps it, and says the payer's balance is too low.
      response.writeHead(402, { 'PAYMENT-REQUIRED': required(url, 'insufficient_funds') });
      return response.end('insufficient funds');
    }
    for (const each of kept.splice(0)) settlements.push(await options.settle(each, requirements));
    const paid = [...settlements].reverse().find((s) => s.success);
    const receipt = paid && { ...paid, transaction: site.reportTransaction ?? paid.transaction };
    response.writeHead(200, {
      'content-type': 'text/plain',
      ...(receipt ? { 'PAYMENT-RESPONSE': base64Json(receipt) } : {}),
    });
    response.end('the item');
  }

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', `http://${request.headers.host}`);
    if (url.pathname === '/item') {
      item(request, response, url.href).catch((error) => {
        response.writeHead(500);
        response.end(String(error));
      });
      return;
    }
    response.writeHead(url.pathname === '/' ? 200 : 404, {
      'content-type': 'text/html; charset=utf-8',
    });
    response.end(url.pathname === '/' ? PAGE : 'not found');
  });
  const site: GreedySite = {
    url: '',
    nonces,
    settlements,
    payloads,
    requirements,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  site.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return site;
}
