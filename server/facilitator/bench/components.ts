// The facilitator's parts, one at a time, in this process on one core: building and signing a
// settlement transaction and reading it back from its JSON, the ledger's three writes per
// settlement (WAL; reserved and confirmed with synchronous=FULL, the submitted mark without
// waiting for the disk, as shipped), a ledger read with its statement prepared once, and
// the client-side CPU cost of one chain read through the facilitator's ChainClient (shared's
// CasperRpc over its kept-alive socket transport), a plain fetch and node:http with keep-alive.
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultDevAccounts } from '@x402-casper/devnet';
import { addressOfPublicKey, bytesToHex, exactPayloadOf } from '@x402-casper/shared';
import { ChainClient } from '../src/chain.js';
import { Ledger, type SettlementDraft } from '../src/ledger.js';
import { SqliteDb } from '../src/sql.js';
import {
  buildSettlementTransaction,
  signingKeyOf,
  transactionFromJson,
} from '../src/transaction.js';
import { cpuMsPerCall, measure, measureAsync, type Rate } from './measure.js';
import { requirementsOf, signedPayments } from './payments.js';
import type { DevnetProcess } from './processes.js';

export interface ComponentFigures {
  rates: Record<string, Rate>;
  /** Client-side CPU milliseconds of one chain read (query_balance), by client. */
  rpcReadCpuMs: Record<string, number>;
}

const PLENTY = { tokenBalance: 10n ** 30n, gasBalance: 10n ** 30n, paymentMotes: 3_000_000_000n };

export async function componentBench(devnet: DevnetProcess): Promise<ComponentFigures> {
  const [feePayer, merchant, alice] = defaultDevAccounts();
  const requirements = requirementsOf(
    devnet.network,
    devnet.token,
    addressOfPublicKey(merchant!.publicKey),
    '1',
  );
  const payments = signedPayments(requirements, alice!.secretKey, 64);
  const signingKey = signingKeyOf(feePayer!.secretKey);
  const rates: Record<string, Rate> = {};
  let i = 0;
  const build = () =>
    buildSettlementTransaction({
      payload: exactPayloadOf(payments[i++ % payments.length]!.paymentPayload),
      packageHash: devnet.token.packageHash,
      argLayout: 'amount-u64',
      chainName: devnet.network.slice('casper:'.length),
      paymentMotes: 3_000_000_000n,
      signingKey,
    });
  rates['build and sign settlement transaction'] = measure(build);
  const transaction = build();
  rates['re-read the stored transaction (transactionFromJson, as submit does)'] = measure(() => {
    transactionFromJson(transaction.json);
  });

  const dir = mkdtempSync(join(tmpdir(), 'bench-ledger-'));
  try {
    const ledger = new Ledger(new SqliteDb(join(dir, 'ledger.sqlite')));
    let n = 0;
    const draft = (): SettlementDraft => {
      n += 1;
      return {
        network: devnet.network,
        asset: devnet.token.packageHash,
        payer: `00${(n % 50).toString(16).padStart(64, '0')}`,
        nonce: n.toString(16).padStart(64, '0'),
        digest: 'dd'.repeat(32),
        payee: `00${'22'.repeat(32)}`,
        value: '1',
        transactionHash: n.toString(16).padStart(64, 'f'),
        transaction: transaction.json,
        expiresAt: Date.now() + 60_000,
      };
    };
    rates['ledger writes per settlement (SQLite: 2 full commits, 1 lazy)'] = await measureAsync(
      async () => {
        const reserved = await ledger.reserve(draft(), PLENTY);
        if (reserved.status !== 'reserved') throw new Error('not reserved');
        await ledger.markSubmitted(reserved.settlement);
        await ledger.markConfirmed(reserved.settlement, 1);
      },
      1,
    );
    const key = { network: devnet.network, asset: devnet.token.packageHash, payer: '', nonce: '' };
    rates['ledger read (SQLite, statement prepared once)'] = await measureAsync(async () => {
      key.nonce = bytesToHex(new Uint8Array(32));
      await ledger.get(key);
    }, 1);
    await ledger.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const chain = new ChainClient(devnet.rpcUrl, 10_000);
  const publicKey = feePayer!.publicKey;
  const plain = async () => {
    const response = await fetch(devnet.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'query_balance',
        params: { purse_identifier: { main_purse_under_public_key: publicKey } },
      }),
    });
    const reply = (await response.json()) as { result?: { balance?: string } };
    if (!reply.result?.balance) throw new Error('no balance');
  };
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const url = new URL(devnet.rpcUrl);
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'query_balance',
    params: { purse_identifier: { main_purse_under_public_key: publicKey } },
  });
  const keepAlive = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': body.length },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => {
            const reply = JSON.parse(text) as { result?: { balance?: string } };
            if (reply.result?.balance) resolve();
            else reject(new Error('no balance'));
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const rpcReadCpuMs = {
    // Each read through the ChainClient asks the node (a new block view each time).
    'ChainClient (shared CasperRpc over kept-alive sockets)': await cpuMsPerCall(async () => {
      await chain.accountBalance(publicKey, await chain.view('live'));
    }, 200),
    'plain fetch + JSON.parse': await cpuMsPerCall(plain, 200),
    'node:http keep-alive + JSON.parse': await cpuMsPerCall(keepAlive, 200),
  };
  agent.destroy();
  return { rates, rpcReadCpuMs };
}
