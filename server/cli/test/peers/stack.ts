// A devnet with the token the Go reference deploys on its local network (the Cep18X402 proof
// of concept: infra/local/deployer/README.md of make-software/casper-x402 — name "Casper X402
// Token", symbol X402, 2 decimals, signing domain "Cep18x402", `amount` + U256 windows, nonces
// in Odra's own storage), funded payers, and the pieces every peers test starts.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Devnet, devAccount, startDevnet } from '@x402-casper/devnet';
import { type Facilitator, parseConfig, startFacilitator } from '@x402-casper/facilitator';
import { addressOfPublicKey, generateSecretKey, type SecretKey } from '@x402-casper/shared';
import { rawConfig, rpcResult, tokenBalance } from '@x402-casper/testing';

export const GO_TOKEN = {
  name: 'Casper X402 Token',
  symbol: 'X402',
  decimals: 2,
  domainName: 'Cep18x402',
  argLayout: 'amount-u256',
  nonceStorage: 'odra-state',
} as const;

export interface GoStack {
  devnet: Devnet;
  token: { packageHash: string; contractHash: string };
  dir: string;
  /** Pays the Go facilitator emulator's gas. */
  goFeePayer: SecretKey;
  /** Pays our facilitator's gas. */
  ourFeePayer: SecretKey;
  merchant: string;
  balance(address: string): Promise<bigint>;
  /** A fresh ed25519 payer holding `tokens` atomic units of the token and some CSPR. */
  payer(tokens?: bigint): Promise<{ secretKey: SecretKey; address: string }>;
}

export async function startGoStack(prefix: string): Promise<GoStack> {
  const devnet = await startDevnet({ port: 0, blockTimeMs: 100 });
  const deployed = (await rpcResult(devnet.rpcUrl, 'devnet_deployToken', {
    name: GO_TOKEN.name,
    symbol: GO_TOKEN.symbol,
    decimals: GO_TOKEN.decimals,
    arg_layout: GO_TOKEN.argLayout,
    domain_name: GO_TOKEN.domainName,
    nonce_storage: GO_TOKEN.nonceStorage,
  })) as { package_hash: string; contract_hash: string };
  const token = { packageHash: deployed.package_hash, contractHash: deployed.contract_hash };
  const goFeePayer = generateSecretKey('ed25519');
  await rpcResult(devnet.rpcUrl, 'devnet_fund', {
    account: goFeePayer.publicKey.hex,
    motes: (10_000n * 10n ** 9n).toString(),
  });
  return {
    devnet,
    token,
    dir: mkdtempSync(join(tmpdir(), `peers-${prefix}-`)),
    goFeePayer,
    ourFeePayer: devAccount('facilitator').secretKey,
    merchant: addressOfPublicKey(generateSecretKey('ed25519').publicKey),
    balance: (address) => tokenBalance(devnet, token, address),
    async payer(tokens = 1_000_000n) {
      const secretKey = generateSecretKey('ed25519');
      await rpcResult(devnet.rpcUrl, 'devnet_fund', {
        account: secretKey.publicKey.hex,
        motes: (100n * 10n ** 9n).toString(),
        ...(tokens > 0n
          ? { token: { package_hash: token.packageHash, amount: tokens.toString() } }
          : {}),
      });
      return { secretKey, address: addressOfPublicKey(secretKey.publicKey) };
    },
  };
}

/** Our facilitator, configured for the Go token with its Cep18x402 signing domain. */
export function startOurFacilitator(
  stack: GoStack,
  apiKeys: string[],
): Promise<Facilitator & { url: string }> {
  return startFacilitator(
    parseConfig(
      rawConfig({
        database: join(stack.dir, `ours-${Math.random().toString(36).slice(2)}.sqlite`),
        network: stack.devnet.network,
        rpcUrl: stack.devnet.rpcUrl,
        feePayer: stack.ourFeePayer,
        assets: [
          {
            packageHash: stack.token.packageHash,
            domainName: GO_TOKEN.domainName,
            version: '1',
            decimals: GO_TOKEN.decimals,
            symbol: GO_TOKEN.symbol,
          },
        ],
        apiKeys,
        extra: { pollIntervalMs: 25, settleTimeoutMs: 20_000 },
      }),
    ),
  );
}
