// The facilitator killed with SIGKILL at random points of settling, round after round, while it
// settles payments in the real Cep18X402 binary (installed from the genesis file, run by the
// devnet's Wasm host; no argument layout configured, so the facilitator reads the entry point
// from the chain). Afterwards every authorization is settled exactly once on chain, every
// success /settle reported is a transfer on chain, and the ledger agrees; and the contract's
// own state says the same: each successful settlement wrote the payer's and the payee's items
// of its `balances` dictionary, no failed one wrote any, and the balances add up.
import { readFileSync, writeFileSync } from 'node:fs';
import { type Devnet, devAccount, startDevnet } from '@x402-casper/devnet';
import {
  addressOfPublicKey,
  balancesItemKey,
  blake2b256,
  bytesToHex,
  concatBytes,
  generateSecretKey,
  hexToBytes,
  type SecretKey,
  utf8ToBytes,
} from '@x402-casper/shared';
import { cep18x402GenesisToken, loadCep18x402, rpcResult } from '@x402-casper/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PaymentRequest, requirementsOf, signedPayments } from '../../bench/payments.js';
import type { FacilitatorProcess } from '../../bench/processes.js';
import { RpcProxy } from '../../bench/rpc-proxy.js';
import { type Authorization, audit, type ChainSettlement, chainSettlements } from './audit.js';
import { emptyFigures, recordFigures } from './figures.js';
import { Random, SEED } from './mutate.js';
import { PROFILE } from './profile.js';
import { authorizationOf, SettleTracker, settleThroughKills } from './settling.js';
import {
  FEE_PAYER,
  facilitatorProcess,
  MERCHANT,
  MERCHANT_ADDRESS,
  removeTempDirs,
  tempDir,
} from './stack.js';

const wasm = loadCep18x402();
const figures = emptyFigures();
const random = new Random(SEED + 37);
const running: FacilitatorProcess[] = [];
/** The genesis account that installs the binary and so holds its supply. */
const INSTALLER = devAccount('wasm-installer');
const INITIAL_SUPPLY = 10n ** 15n;
const FUNDED = 1_000_000n;
const PRICE = 3n;
const SETTLEMENT_MOTES = '30000000000';

/** Casper's dictionary item address (Key::dictionary): blake2b-256(seed URef addr ‖ item key). */
const dictionaryKey = (seedURef: string, itemKey: string) =>
  `dictionary-${bytesToHex(blake2b256(concatBytes(hexToBytes(seedURef.slice(5, 69)), utf8ToBytes(itemKey))))}`;

async function balancesSeed(rpcUrl: string, contractHash: string): Promise<string> {
  const contract = (await rpcResult(rpcUrl, 'query_global_state', {
    key: `hash-${contractHash}`,
    path: [],
  })) as { stored_value: { Contract: { named_keys: Array<{ name: string; key: string }> } } };
  const seed = contract.stored_value.Contract.named_keys.find((k) => k.name === 'balances')?.key;
  if (!seed) throw new Error('the contract has no balances named key');
  return seed;
}

async function balanceOf(rpcUrl: string, contractHash: string, address: string): Promise<bigint> {
  const answer = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'state_get_dictionary_item',
      params: {
        state_root_hash: (await rpcResult(rpcUrl, 'chain_get_state_root_hash')).state_root_hash,
        dictionary_identifier: {
          ContractNamedKey: {
            key: `hash-${contractHash}`,
            dictionary_name: 'balances',
            dictionary_item_key: balancesItemKey(address),
          },
        },
      },
    }),
  });
  const reply = (await answer.json()) as {
    result?: { stored_value: { CLValue: { parsed: string } } };
    error?: { code: number };
  };
  if (reply.error?.code === -32003) return 0n;
  if (!reply.result) throw new Error(`state_get_dictionary_item: ${JSON.stringify(reply.error)}`);
  return BigInt(reply.result.stored_value.CLValue.parsed);
}

/** The keys a transaction's execution wrote (its effects), and its error. */
async function writesOf(rpcUrl: string, hash: string): Promise<string[]> {
  const info = (await rpcResult(rpcUrl, 'info_get_transaction', {
    transaction_hash: { Version1: hash },
  })) as {
    execution_info: {
      execution_result: { Version2: { effects: Array<{ key: string; kind: unknown }> } };
    };
  };
  return info.execution_info.execution_result.Version2.effects
    .filter((effect) => typeof effect.kind === 'object' && effect.kind && 'Write' in effect.kind)
    .map((effect) => effect.key);
}

afterAll(async () => {
  figures.details.seed = SEED;
  if (wasm) recordFigures('wasm-kill', figures);
  for (const process of running) await process.kill();
  removeTempDirs();
});

describe.skipIf(!wasm)('SIGKILL while settling in the real Cep18X402 binary', () => {
  let devnet: Devnet;
  let proxy: RpcProxy;
  let stack: ReturnType<typeof facilitatorProcess>;
  let contract: Devnet['contracts'][number];
  let payments: () => PaymentRequest;
  const payers: SecretKey[] = [];

  beforeAll(async () => {
    devnet = await startDevnet({
      port: 0,
      blockTimeMs: 250,
      genesis: {
        accounts: [
          { name: 'facilitator', publicKey: FEE_PAYER!.publicKey, motes: '1000000000000000' },
          { name: 'merchant', publicKey: MERCHANT!.publicKey, motes: '1000000000000' },
          { name: 'wasm-installer', publicKey: INSTALLER.publicKey, motes: '10000000000000' },
        ],
        tokens: [
          cep18x402GenesisToken({
            installer: 'wasm-installer',
            initialSupply: INITIAL_SUPPLY.toString(),
            chainName: 'casper:casper-net-1',
          }),
        ],
      },
    });
    contract = devnet.contracts[0]!;
    proxy = new RpcProxy(devnet.rpcUrl);
    await proxy.start();
    // Answers from the node come 0–120 ms late, so kills land between every two steps.
    proxy.rule = ({ method }) =>
      method === 'account_put_transaction' || method === 'info_get_transaction'
        ? { kind: 'slow', ms: random.int(120) }
        : undefined;
    // The token as the facilitator is told of it: package hash, domain name and decimals only.
    const token = { name: 'Cep18x402', decimals: 2, packageHash: contract.packageHash };
    stack = facilitatorProcess({
      dir: tempDir('wasm-kill'),
      devnet: { ...devnet, tokens: [token as Devnet['tokens'][number]] },
      rpcUrl: proxy.url,
      settings: { pollIntervalMs: 50, settleTimeoutMs: 3000 },
    });
    // The binary checks signatures in its Wasm: ≈ 6.8 CSPR for an ed25519 payer, ≈ 22 CSPR for
    // a secp256k1 one (server/facilitator/test/wasm-token.test.ts), so the default 10 CSPR runs out of gas
    // for half of these payers. Pay 30 CSPR a settlement.
    const config = JSON.parse(readFileSync(stack.configFile, 'utf8'));
    config.networks[0].paymentMotes = SETTLEMENT_MOTES;
    writeFileSync(stack.configFile, JSON.stringify(config));
    // Four payers, ed25519 and secp256k1, funded from the installer's supply by devnet_fund.
    for (let i = 0; i < 4; i++) {
      const payer = generateSecretKey(i % 2 === 0 ? 'ed25519' : 'secp256k1');
      const funded = await rpcResult(devnet.rpcUrl, 'devnet_fund', {
        account: payer.publicKey.hex,
        token: { package_hash: contract.packageHash, amount: FUNDED.toString() },
      });
      expect(funded.token_from).toBe(`account-hash-${INSTALLER.accountHash}`);
      payers.push(payer);
    }
    const requirements = requirementsOf(devnet.network, token, MERCHANT_ADDRESS, String(PRICE));
    payments = () => signedPayments(requirements, random.pick(payers), 1)[0]!;
  });
  afterAll(async () => {
    await proxy?.close();
    await devnet?.close();
  });

  it('settles every authorization exactly once across kills and restarts', async () => {
    const tracker = new SettleTracker(figures);
    const { all, killPoints, rows } = await settleThroughKills({
      stack,
      tracker,
      random,
      payments,
      figures,
      running,
    });
    const chain = await chainSettlements(devnet.rpcUrl);
    const result = audit(all.map(authorizationOf), chain, rows, tracker.reported);
    figures.settlementsChecked += result.checked;
    figures.duplicates += result.duplicates;
    figures.details.kills = PROFILE.killRounds;
    figures.details.rowStatesAtKills = Object.fromEntries(killPoints);
    figures.details.answers = Object.fromEntries(tracker.answers);
    figures.details.chainTransactions = chain.length;
    figures.details.chainErrors = Object.fromEntries(
      [...new Set(chain.map((e) => e.error ?? 'transferred'))].map((what) => [
        what,
        chain.filter((e) => (e.error ?? 'transferred') === what).length,
      ]),
    );
    expect(result.checked).toBe(all.length);
    expect(result.problems).toEqual([]);
    expect(result.doubleSpends).toBe(0);
    expect(result.duplicates).toBe(0);
    expect(result.unsettled).toBe(0);

    await checkContractState(chain, all.map(authorizationOf));
  });

  /** The contract's own record: effects on its `balances` items, and the balances at the end. */
  async function checkContractState(chain: ChainSettlement[], authorizations: Authorization[]) {
    const seed = await balancesSeed(devnet.rpcUrl, contract.contractHash);
    const payee = dictionaryKey(seed, balancesItemKey(MERCHANT_ADDRESS));
    for (const settlement of chain) {
      const writes = await writesOf(devnet.rpcUrl, settlement.hash);
      const payerItem = dictionaryKey(seed, balancesItemKey(settlement.payer));
      if (settlement.error === null) {
        expect(writes, settlement.hash).toContain(payerItem);
        expect(writes, settlement.hash).toContain(payee);
      } else {
        expect(
          writes.filter((key) => key.startsWith('dictionary-')),
          settlement.hash,
        ).toEqual([]);
      }
    }
    const settledBy = new Map<string, bigint>();
    for (const a of authorizations) settledBy.set(a.payer, (settledBy.get(a.payer) ?? 0n) + 1n);
    const payeeBalance = await balanceOf(devnet.rpcUrl, contract.contractHash, MERCHANT_ADDRESS);
    expect(payeeBalance).toBe(BigInt(authorizations.length) * PRICE);
    for (const payer of payers) {
      const address = addressOfPublicKey(payer.publicKey);
      const count = settledBy.get(address) ?? 0n;
      expect(await balanceOf(devnet.rpcUrl, contract.contractHash, address), address).toBe(
        FUNDED - count * PRICE,
      );
    }
    expect(
      await balanceOf(devnet.rpcUrl, contract.contractHash, `00${INSTALLER.accountHash}`),
    ).toBe(INITIAL_SUPPLY - BigInt(payers.length) * FUNDED);
    figures.details.payeeBalance = payeeBalance.toString();
  }
});
