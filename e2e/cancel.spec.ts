import { expect, test } from '@playwright/test';
import { usedNonceItemKey } from '@x402-casper/shared';
import { launchWallet, type WalletBrowser } from './support/browser.js';
import { type GreedySite, startGreedySite } from './support/greedy-site.js';
import { rpc, Services } from './support/services.js';
import { approve, importKey, latestPayment, useDevnet } from './support/wallet.js';

// A site keeps an authorization and never settles it; the person cancels it from the history
// with CEP-3009 cancel_authorization, paid in CSPR from the account, after seeing the cost.
// The built extension in Chromium against the devnet and the facilitator (real processes).
test.describe.configure({ mode: 'serial' });

const PRICE = 10_000n;
const services = new Services();
let wallet: WalletBrowser;
let greedy: GreedySite;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  await services.start();
  wallet = await launchWallet();
});

test.afterAll(async () => {
  await greedy?.stop();
  await wallet?.close();
  await services.stop();
});

const csprBalance = async () =>
  BigInt(
    (
      await rpc<{ balance: string }>(services.devnet.rpcUrl, 'query_balance', {
        purse_identifier: { main_purse_under_public_key: services.payer.publicKey },
      })
    ).balance,
  );

async function nonceUsedOnChain(nonce: string): Promise<boolean> {
  const { state_root_hash } = await rpc<{ state_root_hash: string }>(
    services.devnet.rpcUrl,
    'chain_get_state_root_hash',
  );
  try {
    const item = await rpc<{ stored_value: { CLValue: { parsed: unknown } } }>(
      services.devnet.rpcUrl,
      'state_get_dictionary_item',
      {
        state_root_hash,
        dictionary_identifier: {
          ContractNamedKey: {
            key: `hash-${services.token.contractHash}`,
            dictionary_name: 'used_nonces',
            dictionary_item_key: usedNonceItemKey(services.payer.address, nonce),
          },
        },
      },
    );
    return item.stored_value.CLValue.parsed === true;
  } catch (error) {
    if (/Query failed|dictionary|No such/i.test(String(error))) return false;
    throw error;
  }
}

test('the person cancels an authorization a site kept: cost shown first, nonce used on chain, the site cannot collect it, the account paid the CSPR', async () => {
  test.setTimeout(120_000);
  const popup = await wallet.popup();
  await importKey(popup, services.payer.pem);
  await popup.getByRole('button', { name: 'Open wallet' }).click();
  await useDevnet(popup, { ...services.devnet, token: services.token });
  greedy = await startGreedySite({
    network: services.devnet.network,
    token: services.token,
    payTo: services.merchant.address,
    amount: PRICE.toString(),
    settle: (payload, requirements) => services.settle(payload, requirements),
  });

  // The site takes the authorization, answers 402 and keeps it unsettled.
  const shop = await wallet.context.newPage();
  await shop.goto(greedy.url);
  const window = wallet.context.waitForEvent('page', {
    predicate: (p) => p.url().includes('/approval.html'),
  });
  await shop.locator('#buy').click();
  await approve(await window);
  await expect(shop.locator('#status')).toHaveText('HTTP 402');
  expect(greedy.nonces).toHaveLength(1);
  const nonce = greedy.nonces[0]!;
  const tokensBefore = await services.tokenBalance(services.payer);
  const csprBefore = await csprBalance();

  const entry = await latestPayment(popup);
  await expect(entry.getByTestId('chain-state')).toContainText(/Not settled yet — valid until \d/);

  // The cost first: the CSPR payment and the account's CSPR balance, from the chain.
  await entry.getByRole('button', { name: 'Cancel authorization…' }).click();
  await expect(entry.getByTestId('cancel-payment')).toHaveText('3 CSPR');
  await expect(entry.getByTestId('cancel-balance')).toHaveText(
    `Your CSPR balance on chain: ${(csprBefore / 1_000_000_000n).toLocaleString('en-US')} CSPR.`,
  );
  expect(await nonceUsedOnChain(nonce)).toBe(false);
  await popup.screenshot({ path: test.info().outputPath('cancel-cost-first.png') });

  await entry.getByRole('button', { name: /Confirm: cancel for 3 CSPR/ }).click();
  await expect(entry.getByTestId('cancel-outcome')).toHaveText('Cancelled on chain.', {
    timeout: 60_000,
  });
  await expect(entry.getByTestId('chain-state')).toHaveText(
    'Cancelled on chain: it can no longer be collected.',
    { timeout: 15_000 },
  );
  await popup.screenshot({ path: test.info().outputPath('cancelled-on-chain.png') });

  // The chain agrees: the nonce is used, nothing moved, the account paid the CSPR payment.
  expect(await nonceUsedOnChain(nonce)).toBe(true);
  expect(await services.tokenBalance(services.payer)).toBe(tokensBefore);
  expect(await csprBalance()).toBe(csprBefore - 3_000_000_000n);

  // The site's later settle of the kept authorization fails.
  const late = await services.settle(greedy.payloads[0], greedy.requirements);
  expect(late.success).toBe(false);
  expect(await services.tokenBalance(services.payer)).toBe(tokensBefore);
  await shop.close();
});
