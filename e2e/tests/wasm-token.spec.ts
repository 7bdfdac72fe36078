import { existsSync } from 'node:fs';
import { cep18x402GenesisToken, CEP18X402_WASM as WASM } from '@x402-casper/testing';
import { expect, test } from './fixtures.js';
import { startGreedySite } from './support/greedy-site.js';
import { latestPayment, openTab } from './support/popup.js';

// The extension pays a demo page priced in a real contract: the Cep18X402 binary (an Odra
// CEP-18 token with transfer_with_authorization), installed from the devnet's genesis and run
// by its Wasm host. The demo site and the facilitator know the token by package hash, domain
// name and decimals only (no argument layout: the facilitator reads the entry point from the
// chain); the payer's tokens come from devnet_fund, which runs the contract's own transfer
// from the installer. The binary is a fixture outside the repository.
const SUPPLY = 10n ** 12n;
/** What the wallet's account is funded with (atomic units: 10,000,000 X402 of 2 decimals). */
const FUNDED = 1_000_000_000n;

test.skip(
  !existsSync(WASM),
  `the real Cep18X402 binary is absent at ${WASM} (a test fixture outside the repository; CI provides it)`,
);
test.use({
  devnetOptions: {
    genesis: {
      tokens: [
        cep18x402GenesisToken({
          installer: 'installer',
          initialSupply: SUPPLY.toString(),
          chainName: 'casper:casper-net-1',
        }),
      ],
      wasmToken: { name: 'Cep18x402', symbol: 'X402', decimals: 2 },
    },
  },
  walletOptions: { funds: { tokens: '10000000' } },
});

test('pays a fetch priced in the Wasm token: the contract moves the tokens, the wallet records it paid', async ({
  wallet,
  devnet,
  demo,
}) => {
  const popup = await wallet.popup();
  const site = await wallet.context.newPage();
  await site.goto(`${demo.url}/playground`);
  // devnet_fund moved the payer's tokens out of the installer's supply, through the contract.
  expect(await devnet.tokenBalance(wallet.account)).toBe(FUNDED);
  expect(await devnet.tokenBalance(devnet.installer!)).toBe(SUPPLY - FUNDED);

  const approval = wallet.nextApproval();
  await site.locator('#fetch-button').click();
  const window = await approval;
  await expect(window.getByTestId('amount')).toHaveText('0.01 X402');
  await expect(window.getByText('Cep18x402')).toBeVisible();
  await wallet.approve({ window });

  await expect(site.locator('#status')).toHaveText('fetch: HTTP 200');
  await expect(site.locator('#result')).toContainText('Zug');
  await expect(site.locator('#receipt')).toContainText('"success": true');
  expect(await devnet.tokenBalance(wallet.account)).toBe(FUNDED - 1n);
  expect(await devnet.tokenBalance(demo.merchant)).toBe(1n);

  // The settlement is the contract's transfer_with_authorization in its own argument layout
  // (amount and U256 windows, read from the chain), executed by the Wasm host.
  const hash = /"transaction":\s*"([0-9a-f]{64})"/.exec(
    (await site.locator('#receipt').textContent()) ?? '',
  )?.[1];
  expect(hash).toBeDefined();
  const info = await devnet.rpc<{
    transaction: {
      Version1: {
        payload: {
          fields: {
            entry_point: { Custom: string };
            target: { Stored: { id: { ByPackageHash: { addr: string } } } };
            args: { Named: Array<[string, { cl_type: unknown }]> };
          };
        };
      };
    };
    execution_info: {
      execution_result: { Version2: { error_message: string | null; consumed: string } };
    };
  }>('info_get_transaction', { transaction_hash: { Version1: hash } });
  const { fields } = info.transaction.Version1.payload;
  expect(fields.entry_point.Custom).toBe('transfer_with_authorization');
  expect(fields.target.Stored.id.ByPackageHash.addr).toBe(devnet.token.packageHash);
  const args = Object.fromEntries(fields.args.Named);
  expect(args.amount?.cl_type).toBe('U256');
  expect(args.valid_before?.cl_type).toBe('U256');
  const result = info.execution_info.execution_result.Version2;
  expect(result.error_message).toBeNull();
  expect(BigInt(result.consumed)).toBeGreaterThan(5_000_000_000n);

  const entry = await latestPayment(popup);
  await expect(entry).toHaveAttribute('data-status', 'paid');
  await expect(entry).toContainText('0.01 X402');
  // Cep18X402 keeps used nonces in Odra's `state` dictionary, where the wallet reads them; and
  // the transaction the site reported is read too: this authorization's transfer.
  await expect(entry.getByTestId('chain-state')).toHaveText('Confirmed on chain.');
  await expect(entry.getByTestId('payment-transaction')).toBeVisible();
  await openTab(popup, 'Assets');
  await expect(popup.getByTestId('balance-X402')).toHaveText(/^9,?999,?999\.99\s*X402$/);
});

test('an authorization the site kept cannot be cancelled in this token: the wallet says it has no cancel_authorization, and until when the site can collect it', async ({
  wallet,
  devnet,
  facilitator,
}) => {
  const popup = await wallet.popup();
  const greedy = await startGreedySite({
    network: devnet.network,
    token: devnet.token,
    payTo: (await devnet.newAccount()).address,
    amount: '1',
    settle: (payload, requirements) => facilitator.settle(payload, requirements),
  });
  const shop = await wallet.context.newPage();
  await shop.goto(greedy.url);
  const window = wallet.nextApproval();
  await shop.locator('#buy').click();
  await wallet.approve({ window: await window, amount: '0.01 X402' });
  await expect(shop.locator('#status')).toHaveText('HTTP 402');

  // The wallet reads the nonce in Odra's state: not collected, still valid.
  const entry = await latestPayment(popup);
  await expect(entry.getByTestId('chain-state')).toContainText(/Not settled yet — valid until \d/);
  await entry.getByRole('button', { name: 'Cancel authorization…' }).click();
  await expect(entry.getByTestId('cancel')).toContainText(
    /This token has no cancel_authorization entry point, so the authorization cannot be cancelled\. It stays valid until \d{1,2}:\d{2}.*: the site can collect it until then, and only once\./,
  );
  await expect(entry.getByRole('button', { name: /Confirm: cancel/ })).toHaveCount(0);
  await popup.screenshot({ path: test.info().outputPath('no-cancel-entry-point.png') });
  await shop.close();
  await greedy.stop();
});
