import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small site on 127.0.0.1 whose answers test how the wallet treats what a site sends
 * back: paid pages with their own security headers, a paid download, an XMLHttpRequest
 * under <base href>, and frames. Each paid resource answers 402 with PAYMENT-REQUIRED on
 * the local network in its default token (which the wallet knows out of the box), and its
 * content once a request carries a PAYMENT-SIGNATURE for these requirements. It checks the
 * payment's shape only: signatures are checked by the unit tests and, on chain, by the
 * payment suite.
 */
export interface PaidSite {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The same site under another origin, `http://localhost:<port>`. */
  otherOriginUrl: string;
  /** Every request, as `METHOD /path?query`, with ` paid` when it carried a valid payment. */
  hits: string[];
  stop(): Promise<void>;
}

const NETWORK = 'casper:casper-net-1';
const TOKEN = '5eba9288cf7c8319df066e805ecc2b3ab6d0138ac4c01d36629f06e8545a1c88';
export const PRICE = '10000';

/** An inline script that announces itself: it renames the page and calls the site back. */
const ANNOUNCE = `document.title = 'inline script ran'; fetch('/beacon?' + location.pathname);`;

const PAID_PAGE = `<!doctype html><title>Paid page</title>
<h1 id="paid">Paid page</h1><script>${ANNOUNCE}</script>`;

const PAID_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">
<script>fetch('/beacon?svg')</script><rect width="10" height="10"/></svg>`;

/** Asks for /sub/item with XMLHttpRequest by a relative URL, under <base href="/sub/">. */
const BASE_PAGE = `<!doctype html><title>Base</title><base href="/sub/">
<button id="xhr-button">Load</button><p id="status"></p><p id="result"></p>
<script>
document.getElementById('xhr-button').onclick = () => {
  const xhr = new XMLHttpRequest();
  xhr.open('GET', 'item');
  xhr.onload = () => {
    document.getElementById('status').textContent = 'HTTP ' + xhr.status;
    document.getElementById('result').textContent = xhr.responseText;
  };
  xhr.send();
};
</script>`;

/** Fetches /sub/item when its button is clicked; shows the status. */
const FETCH_PAGE = `<!doctype html><title>Fetcher</title>
<button id="fetch-button">Load</button><p id="status"></p>
<script>
document.getElementById('fetch-button').onclick = async () => {
  const response = await fetch('/sub/item');
  document.getElementById('status').textContent = 'HTTP ' + response.status;
};
</script>`;

function base64Json(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64');
}

export async function startPaidSite(): Promise<PaidSite> {
  const payTo = `00${randomBytes(32).toString('hex')}`;
  const hits: string[] = [];
  const requirements = {
    scheme: 'exact',
    network: NETWORK,
    amount: PRICE,
    asset: TOKEN,
    payTo,
    maxTimeoutSeconds: 300,
    extra: { name: 'Casper x402 Token', version: '1', decimals: 6, symbol: 'CX402' },
  };

  /** True when the request carries a payment for these requirements. */
  function isPaid(request: IncomingMessage): boolean {
    const header = request.headers['payment-signature'];
    if (typeof header !== 'string') return false;
    try {
      const payload = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
      const accepted = payload?.accepted ?? {};
      return (
        payload.x402Version === 2 &&
        accepted.payTo === payTo &&
        accepted.amount === PRICE &&
        accepted.asset === TOKEN &&
        accepted.network === NETWORK &&
        typeof payload.payload?.authorization?.from === 'string' &&
        typeof payload.payload?.signature === 'string'
      );
    } catch {
      return false;
    }
  }

  function paymentRequired(response: ServerResponse, url: string) {
    // ?claim=<url> makes the site claim another resource than the one asked for;
    // ?desc=<text> describes it; ?symbol=<text> asks for a token the wallet does not know,
    // under that symbol.
    const query = new URL(url).searchParams;
    const claim = query.get('claim');
    const symbol = query.get('symbol');
    response.writeHead(402, {
      'content-type': 'text/html; charset=utf-8',
      'PAYMENT-REQUIRED': base64Json({
        x402Version: 2,
        resource: { url: claim ?? url, description: query.get('desc') ?? 'Test content' },
        accepts: [
          symbol === null
            ? requirements
            : {
                ...requirements,
                asset: 'ab'.repeat(32),
                extra: { ...requirements.extra, symbol },
              },
        ],
      }),
    });
    response.end('<!doctype html><title>Payment required</title><h1>Payment required</h1>');
  }

  /** Paid resources: what each sends once paid. */
  const paid: Record<string, (response: ServerResponse, receipt: string) => void> = {
    '/csp-page': (response, receipt) => {
      response.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': "script-src 'none'",
        'PAYMENT-RESPONSE': receipt,
      });
      response.end(PAID_PAGE);
    },
    '/report.svg': (response, receipt) => {
      response.writeHead(200, {
        'content-type': 'image/svg+xml',
        'content-disposition': 'attachment; filename="report.svg"',
        'x-content-type-options': 'nosniff',
        'PAYMENT-RESPONSE': receipt,
      });
      response.end(PAID_SVG);
    },
    '/sub/item': (response, receipt) => {
      response.writeHead(200, { 'content-type': 'text/plain', 'PAYMENT-RESPONSE': receipt });
      response.end('sub item');
    },
  };
  /** Free pages. */
  const free: Record<string, string> = {
    '/script-page': PAID_PAGE,
    '/base/index.html': BASE_PAGE,
    '/fetcher': FETCH_PAGE,
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', `http://${request.headers.host}`);
    // Any page may call it (a third party's API): CORS open, payment headers readable.
    response.setHeader('access-control-allow-origin', '*');
    response.setHeader('access-control-expose-headers', 'PAYMENT-REQUIRED, PAYMENT-RESPONSE');
    if (request.method === 'OPTIONS') {
      response.writeHead(204, {
        'access-control-allow-headers': 'PAYMENT-SIGNATURE',
        'access-control-allow-methods': 'GET',
      });
      return response.end();
    }
    const signed = isPaid(request);
    hits.push(`${request.method} ${url.pathname}${url.search}${signed ? ' paid' : ''}`);
    const pay = paid[url.pathname];
    if (pay) {
      if (!signed) return paymentRequired(response, url.href);
      const receipt = base64Json({
        success: true,
        transaction: randomBytes(32).toString('hex'),
        network: NETWORK,
        payer: JSON.parse(
          Buffer.from(String(request.headers['payment-signature']), 'base64').toString('utf8'),
        ).payload.authorization.from,
      });
      return pay(response, receipt);
    }
    if (url.pathname === '/cross') {
      // A page that fetches a paid item of ?src=<origin> (claim, desc, symbol passed on).
      const target = new URL('/sub/item', url.searchParams.get('src') ?? url.origin);
      for (const name of ['claim', 'desc', 'symbol']) {
        const value = url.searchParams.get(name);
        if (value !== null) target.searchParams.set(name, value);
      }
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return response.end(`<!doctype html><title>Cross</title>
<button id="fetch-button">Load</button><p id="status"></p>
<script>
document.getElementById('fetch-button').onclick = async () => {
  const response = await fetch(${JSON.stringify(target.href)});
  document.getElementById('status').textContent = 'HTTP ' + response.status;
};
</script>`);
    }
    if (url.pathname === '/opener') {
      // Opens ?to=<url> with window.open (#open) or a plain link (#link).
      const to = JSON.stringify(url.searchParams.get('to') ?? '/');
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return response.end(`<!doctype html><title>Opener</title>
<button id="open">Open</button><a id="link">Link</a>
<script>
document.getElementById('link').href = ${to};
document.getElementById('open').onclick = () => window.open(${to});
</script>`);
    }
    if (url.pathname === '/flood') {
      // ?n frames, each on its own sub-origin s<i>.<this host>, each asking to be paid.
      const n = Math.min(Number(url.searchParams.get('n') ?? '6'), 20);
      const frames = Array.from(
        { length: n },
        (_, i) => `<iframe src="http://s${i + 1}.${url.host}/autofetch"></iframe>`,
      ).join('');
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return response.end(`<!doctype html><title>Flood</title>${frames}`);
    }
    if (url.pathname === '/autofetch') {
      // Fetches a paid item as it loads, with no click; shows the status.
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return response.end(`<!doctype html><title>Autofetch</title><p id="status"></p>
<script>fetch('/sub/item').then((r) => { document.getElementById('status').textContent = 'HTTP ' + r.status; })</script>`);
    }
    if (url.pathname === '/frame') {
      // A page that embeds the fetcher (or ?path) from the origin given in ?src.
      const src = new URL(
        url.searchParams.get('path') ?? '/fetcher',
        url.searchParams.get('src') ?? url.origin,
      );
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return response.end(
        `<!doctype html><title>Frame host</title><iframe id="frame" src="${src.href}"></iframe>`,
      );
    }
    const page = free[url.pathname];
    response.writeHead(page ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
    response.end(page ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    otherOriginUrl: `http://localhost:${port}`,
    hits,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
