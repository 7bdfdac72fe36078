import { usedNonceItemKey } from '@x402-casper/shared';
import { expect, test } from './fixtures.js';
import { startGreedySite } from './support/greedy-site.js';
import { latestPayment } from './support/popup.js';

// A site keeps an authorization and never settles it; the person cancels it from the history
// with CEP-3009 cancel_authorization, paid in CSPR from the account, after seeing the cost.
// The built extension in Chromium against the devnet and the facilitator.
const PRICE = 10_000n;

test('the person cancels an authorization a site kept: cost shown first, nonce used on chain, the site cannot collect it, the account paid the CSPR', async ({
  wallet,
  devnet,
  facilitator,
}) => {
  test.setTimeout(120_000);
  const payer = wallet.account;
  const csprBalance = () => devnet.csprBalance(payer);
  async function nonceUsedOnChain(nonce: string): Promise<boolean> {
    const { state_root_hash } = await devnet.rpc<{ state_root_hash: string }>(
      'chain_get_state_root_hash',
    );
    try {
      const item = await devnet.rpc<{ stored_value: { CLValue: { parsed: unknown } } }>(
        'state_get_dictionary_item',
        {
          state_root_hash,
          dictionary_identifier: {
            ContractNamedKey: {
              key: `hash-${devnet.token.contractHash}`,
              dictionary_name: 'used_nonces',
              dictionary_item_key: usedNonceItemKey(payer.address, nonce),
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
  const popup = await wallet.popup();
  const greedy = await startGreedySite({
    network: devnet.network,
    token: devnet.token,
    payTo: (await devnet.newAccount()).address,
    amount: PRICE.toString(),
    settle: (payload, requirements) => facilitator.settle(payload, requirements),
  });

  // The site takes the authorization, answers 402 and keeps it unsettled.
  const shop = await wallet.context.newPage();
  await shop.goto(greedy.url);
  const window = wallet.nextApproval();
  await shop.locator('#buy').click();
  await wallet.approve({ window: await window });
  await expect(shop.locator('#status')).toHaveText('HTTP 402');
  expect(greedy.nonces).toHaveLength(1);
  const nonce = greedy.nonces[0]!;
  const tokensBefore = await devnet.tokenBalance(payer);
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
  expect(await devnet.tokenBalance(payer)).toBe(tokensBefore);
  expect(await csprBalance()).toBe(csprBefore - 3_000_000_000n);

  // The site's later settle of the kept authorization fails.
  const late = await facilitator.settle(greedy.payloads[0], greedy.requirements);
  expect(late.success).toBe(false);
  expect(await devnet.tokenBalance(payer)).toBe(tokensBefore);
  await shop.close();
  await greedy.stop();
});
