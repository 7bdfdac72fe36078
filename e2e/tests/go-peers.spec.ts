import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from './fixtures.js';
import { latestPayment } from './support/popup.js';

// The extension paying the Go reference's example resource server, as emulated from its code
// (server/testing/src/peers/go-example-server.ts), settling through the Go facilitator emulator
// (server/testing/src/peers/go-facilitator.ts) on the devnet. The paying page is a shop on another
// origin calling the Go API with fetch, so the Go server's CORS matters. Its requirements
// carry extra.decimals as the string "2" and the Cep18x402 signing domain; the devnet's token
// is laid out as the Go facilitator settles it.
test.use({
  devnetOptions: {
    genesis: {
      tokens: [
        {
          name: 'Casper X402 Token',
          symbol: 'X402',
          decimals: 2,
          argLayout: 'amount-u256',
          domainName: 'Cep18x402',
          nonceStorage: 'odra-state',
          balances: {},
        },
      ],
    },
  },
});

/** A shop page on its own origin whose button fetches the Go API's paid weather. */
function shopPage(api: string): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Go weather shop</title></head>
<body><h1>Weather from a Go x402 server</h1>
<button id="fetch-button">Get the weather</button>
<pre id="status"></pre><pre id="result"></pre><pre id="receipt"></pre>
<script>
document.getElementById('fetch-button').addEventListener('click', async () => {
  try {
    const response = await fetch(${JSON.stringify(`${api}/weather?city=Tokyo`)});
    document.getElementById('status').textContent = 'fetch: HTTP ' + response.status;
    document.getElementById('result').textContent = await response.text();
    const header = response.headers.get('PAYMENT-RESPONSE');
    document.getElementById('receipt').textContent = header
      ? JSON.stringify(JSON.parse(atob(header)), null, 2)
      : '(no receipt)';
  } catch (error) {
    document.getElementById('status').textContent = 'fetch failed: ' + error;
  }
});
</script></body></html>`;
}

/** Serves the shop page on localhost (another origin than the Go API's 127.0.0.1). */
async function startShop(api: string) {
  const shop = createServer((_req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(shopPage(api));
  });
  await new Promise<void>((resolve) => shop.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://localhost:${(shop.address() as AddressInfo).port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        // The wallet's browser may still hold keep-alive connections.
        shop.closeAllConnections();
        shop.close(() => resolve());
      }),
  };
}

test('pays the Go example server from a shop page: approval, 100 X402 moved on chain, receipt', async ({
  wallet,
  devnet,
  goPeers,
}) => {
  const goServer = goPeers.exampleServer;
  const shop = await startShop(goServer);
  const shopUrl = shop.url;
  const popup = await wallet.popup();
  const payer = wallet.account;
  const balance = (account: { address: string }) => devnet.tokenBalance(account);
  const site = await wallet.context.newPage();
  await site.goto(shopUrl);
  const before = await balance(payer);
  const approval = wallet.nextApproval();
  await site.locator('#fetch-button').click();
  const window = await approval;
  // The window names the host that answered 402 (the Go API), and says the page is another.
  await expect(window.getByTestId('origin')).toHaveText(new URL(goServer).host);
  await expect(window.getByTestId('third-party-warning')).toContainText(
    `you are on ${new URL(shopUrl).host}`,
  );
  await expect(window.getByTestId('amount')).toHaveText(/^100(\.00)? X402$/);
  await expect(window.getByText('Get weather data for a city')).toBeVisible();
  await wallet.approve({ window });

  await expect(site.locator('#status')).toHaveText('fetch: HTTP 200');
  await expect(site.locator('#result')).toContainText('"city":"Tokyo"');
  await expect(site.locator('#receipt')).toContainText('"success": true');
  expect(await balance(payer)).toBe(before - 10_000n);
  expect(await balance(goPeers.merchant)).toBe(10_000n);
  const entry = await latestPayment(popup);
  await expect(entry).toHaveAttribute('data-status', 'paid');
  await expect(entry).toContainText(/100(\.00)? X402/);
  await shop.stop();
});

test('opening the Go API in a tab gets its HTML paywall, which carries no PAYMENT-REQUIRED: nothing is paid', async ({
  wallet,
  devnet,
  goPeers,
}) => {
  const goServer = goPeers.exampleServer;
  const balance = () => devnet.tokenBalance(wallet.account);
  const before = await balance();
  const page = await wallet.context.newPage();
  const response = await page.goto(`${goServer}/weather?city=London`);
  expect(response?.status()).toBe(402);
  expect(response?.headers()['payment-required']).toBeUndefined();
  await expect(page.getByRole('heading', { name: 'Payment Required' })).toBeVisible();
  await page.waitForTimeout(1500);
  await wallet.expectNoApproval();
  expect(await balance()).toBe(before);
});
