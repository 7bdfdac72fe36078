import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { launchWallet, type WalletBrowser } from './support/browser.js';
import { CLI, REPO_ROOT } from './support/paths.js';
import { type KeyFile, keygen, rpc } from './support/services.js';
import { approve, importKey, latestPayment, useDevnet } from './support/wallet.js';

// The extension paying the Go reference's example resource server, as emulated from its code
// (server/test/peers/go-example-server.ts), settling through the Go facilitator emulator
// (server/test/peers/go-facilitator.ts) on the devnet, each a real process. The paying page
// is a shop on another origin calling the Go API with fetch, so the Go server's CORS matters.
// Its requirements carry extra.decimals as the string "2" and the Cep18x402 signing domain.
test.describe.configure({ mode: 'serial' });

const TOKEN = { name: 'Casper X402 Token', symbol: 'X402', decimals: 2 };
const ACCESS_TOKEN = 'e2e-cspr-cloud-style-access-token';
const PEERS_RUNNER = join(REPO_ROOT, 'server', 'test', 'peers', 'run.ts');

interface Proc {
  child: ChildProcess;
  ready: Record<string, unknown>;
}
const procs: Proc[] = [];

/** Starts a TypeScript entry point of the repo and waits for its {"event":"ready"} line. */
function start(entry: string, args: string[]): Promise<Proc> {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', entry, ...args],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    let stdout = '';
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
      const line = stdout.split('\n').find((l) => l.includes('"event":"ready"'));
      if (line) {
        const proc = { child, ready: JSON.parse(line) as Record<string, unknown> };
        procs.push(proc);
        resolve(proc);
      }
    });
    child.once('exit', (code) => reject(new Error(`${entry} exited with ${code}:\n${stderr}`)));
  });
}

let dir: string;
let rpcUrl: string;
let network: string;
let token: { packageHash: string; contractHash: string };
let payer: KeyFile;
let merchant: KeyFile;
let goServer: string;
let shop: Server;
let shopUrl: string;
let wallet: WalletBrowser;
let popup: Page;

/** The Go token's balance of an account, read from the devnet. */
async function balance(key: KeyFile): Promise<bigint> {
  const { state_root_hash } = await rpc<{ state_root_hash: string }>(
    rpcUrl,
    'chain_get_state_root_hash',
  );
  try {
    const item = await rpc<{ stored_value: { CLValue: { parsed: string } } }>(
      rpcUrl,
      'state_get_dictionary_item',
      {
        state_root_hash,
        dictionary_identifier: {
          ContractNamedKey: {
            key: `hash-${token.contractHash}`,
            dictionary_name: 'balances',
            dictionary_item_key: Buffer.from(key.address, 'hex').toString('base64'),
          },
        },
      },
    );
    return BigInt(item.stored_value.CLValue.parsed);
  } catch (error) {
    if (/dictionary|not found|No such/i.test(String(error))) return 0n;
    throw error;
  }
}

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

test.beforeAll(async () => {
  test.setTimeout(120_000);
  dir = mkdtempSync(join(tmpdir(), 'x402-e2e-go-'));
  payer = keygen(dir, 'payer');
  merchant = keygen(dir, 'merchant');
  const feePayer = keygen(dir, 'go-fee-payer');

  const devnet = await start(CLI, ['devnet', '--port', '0', '--block-time', '500']);
  rpcUrl = String(devnet.ready.rpcUrl);
  network = String(devnet.ready.network);
  const deployed = await rpc<{ package_hash: string; contract_hash: string }>(
    rpcUrl,
    'devnet_deployToken',
    {
      ...TOKEN,
      arg_layout: 'amount-u256',
      domain_name: 'Cep18x402',
      nonce_storage: 'odra-state',
    },
  );
  token = { packageHash: deployed.package_hash, contractHash: deployed.contract_hash };
  await rpc(rpcUrl, 'devnet_fund', {
    account: payer.publicKey,
    motes: '100000000000',
    token: { package_hash: token.packageHash, amount: '100000' },
  });
  await rpc(rpcUrl, 'devnet_fund', { account: feePayer.publicKey, motes: '1000000000000' });

  const config = join(dir, 'peers.json');
  writeFileSync(
    config,
    JSON.stringify({
      goFacilitator: {
        network,
        rpcUrl,
        feePayerPem: feePayer.pem,
        accessTokens: [ACCESS_TOKEN],
        pollIntervalMs: 250,
      },
      exampleServer: {
        facilitatorApiKey: ACCESS_TOKEN,
        payTo: merchant.address,
        network,
        assetPackage: token.packageHash,
      },
    }),
  );
  const peers = await start(PEERS_RUNNER, [config]);
  goServer = String(peers.ready.exampleServer);

  shop = createServer((_req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(shopPage(goServer));
  });
  await new Promise<void>((resolve) => shop.listen(0, '127.0.0.1', resolve));
  shopUrl = `http://localhost:${(shop.address() as AddressInfo).port}`;

  wallet = await launchWallet();
  popup = await wallet.popup();
  await importKey(popup, payer.pem);
  await popup.getByRole('button', { name: 'Open wallet' }).click();
  await useDevnet(popup, { rpcUrl, network, token: { ...TOKEN, packageHash: token.packageHash } });
});

test.afterAll(async () => {
  await wallet?.close();
  await new Promise<void>((resolve) => (shop ? shop.close(() => resolve()) : resolve()));
  for (const proc of procs.reverse()) {
    if (proc.child.exitCode === null) {
      const exited = new Promise((resolve) => proc.child.once('exit', resolve));
      proc.child.kill('SIGTERM');
      await exited;
    }
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('pays the Go example server from a shop page: approval, 100 X402 moved on chain, receipt', async () => {
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
  await approve(window);

  await expect(site.locator('#status')).toHaveText('fetch: HTTP 200');
  await expect(site.locator('#result')).toContainText('"city":"Tokyo"');
  await expect(site.locator('#receipt')).toContainText('"success": true');
  expect(await balance(payer)).toBe(before - 10_000n);
  expect(await balance(merchant)).toBe(10_000n);
  const entry = await latestPayment(popup);
  await expect(entry).toHaveAttribute('data-status', 'paid');
  await expect(entry).toContainText(/100(\.00)? X402/);
});

test('opening the Go API in a tab gets its HTML paywall, which carries no PAYMENT-REQUIRED: nothing is paid', async () => {
  const before = await balance(payer);
  const page = await wallet.context.newPage();
  const response = await page.goto(`${goServer}/weather?city=London`);
  expect(response?.status()).toBe(402);
  expect(response?.headers()['payment-required']).toBeUndefined();
  await expect(page.getByRole('heading', { name: 'Payment Required' })).toBeVisible();
  await page.waitForTimeout(1500);
  expect(wallet.context.pages().some((p) => p.url().includes('/approval.html'))).toBe(false);
  expect(await balance(payer)).toBe(before);
});
