import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, REPO_ROOT } from './paths.js';

export interface KeyFile {
  file: string;
  pem: string;
  publicKey: string;
  accountHash: string;
  address: string;
}

export interface DevnetInfo {
  rpcUrl: string;
  network: string;
  chainName: string;
  tokens: {
    name: string;
    symbol: string;
    decimals: number;
    packageHash: string;
    contractHash: string;
  }[];
}

export interface SettleResult {
  success: boolean;
  errorReason?: string;
  transaction: string;
  network: string;
  payer?: string;
}

interface Running {
  child: ChildProcess;
  ready: Record<string, unknown>;
  stop(): Promise<void>;
}

const cliArgs = (args: string[]) => ['--conditions=source', '--import', 'tsx', CLI, ...args];

/** Starts `x402-casper <args>` and waits for its `{"event":"ready",…}` line on stdout. */
function startCli(name: string, args: string[]): Promise<Running> {
  const child = spawn(process.execPath, cliArgs(args), {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  return new Promise((resolve, reject) => {
    let stdout = '';
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
      const line = stdout.split('\n').find((l) => l.includes('"event":"ready"'));
      if (line) resolve({ child, ready: JSON.parse(line) as Record<string, unknown>, stop });
    });
    child.once('exit', (code) =>
      reject(new Error(`${name} exited with ${code} before it was ready:\n${stderr}`)),
    );
  });
}

/** `x402-casper keygen`: a fresh key PEM in `dir`. */
export function keygen(dir: string, name: string): KeyFile {
  const file = join(dir, `${name}.pem`);
  const result = spawnSync(process.execPath, cliArgs(['keygen', '--out', file]), {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`keygen failed: ${result.stderr}`);
  const summary = JSON.parse(result.stdout) as Omit<KeyFile, 'pem' | 'file'>;
  return { ...summary, file, pem: readFileSync(file, 'utf8') };
}

/** One JSON-RPC call; throws on an RPC error. */
export async function rpc<T = Record<string, unknown>>(
  url: string,
  method: string,
  params: object = {},
): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await response.json()) as {
    result?: unknown;
    error?: { message: string; data?: unknown };
  };
  if (body.error)
    throw new Error(`${method}: ${body.error.message} ${JSON.stringify(body.error.data ?? '')}`);
  return body.result as T;
}

/**
 * Start the devnet from a genesis file instead of its default genesis. Its accounts are one
 * named `installer` (a fresh key, `services.installer`) holding `installerMotes`; every other
 * account is funded by devnet_fund as usual. `tokens` are the file's `tokens[]` entries: JS
 * tokens, or Wasm contracts `{wasm: <absolute path>, installer: 'installer', args}`.
 */
export interface GenesisOptions {
  tokens: Record<string, unknown>[];
  installerMotes?: string;
  /**
   * Make the first Wasm contract the genesis installed the token everything uses (payer
   * funded by devnet_fund, demo site and facilitator assets), named as given.
   */
  wasmToken?: { name: string; symbol: string; decimals: number };
}

export interface StartOptions {
  genesis?: GenesisOptions;
}

/** The devnet, a facilitator and the demo site, each a real `x402-casper` process. */
export class Services {
  readonly dir = mkdtempSync(join(tmpdir(), 'x402-e2e-'));
  devnet!: DevnetInfo;
  facilitatorUrl = '';
  demoUrl = '';
  payer!: KeyFile;
  /** Holds CSPR but no tokens. */
  poorPayer!: KeyFile;
  merchant!: KeyFile;
  /** The genesis account `installer`, with `start({genesis})` only. */
  installer?: KeyFile;
  private feePayer!: KeyFile;
  private readonly apiKey = `e2e-${Date.now()}-api-key-0123456789`;
  private running: Record<'devnet' | 'facilitator' | 'demo', Running | undefined> = {
    devnet: undefined,
    facilitator: undefined,
    demo: undefined,
  };

  get token() {
    return this.devnet.tokens[0]!;
  }

  async start(options: StartOptions = {}): Promise<void> {
    this.payer = keygen(this.dir, 'payer');
    this.poorPayer = keygen(this.dir, 'poor-payer');
    this.merchant = keygen(this.dir, 'merchant');
    this.feePayer = keygen(this.dir, 'fee-payer');

    this.running.devnet = await startCli('devnet', [
      'devnet',
      '--port',
      '0',
      '--block-time',
      '500',
      ...(options.genesis ? ['--genesis', this.writeGenesis(options.genesis)] : []),
    ]);
    this.devnet = this.running.devnet.ready as unknown as DevnetInfo;
    if (options.genesis?.wasmToken) this.useWasmToken(options.genesis.wasmToken);
    const url = this.devnet.rpcUrl;
    await rpc(url, 'devnet_fund', {
      account: this.payer.publicKey,
      motes: '100000000000',
      token: { package_hash: this.token.packageHash, amount: '1000000000' },
    });
    await rpc(url, 'devnet_fund', { account: this.poorPayer.publicKey, motes: '100000000000' });
    await rpc(url, 'devnet_fund', { account: this.feePayer.publicKey, motes: '1000000000000' });

    await this.startFacilitator();
    const demoConfig = join(this.dir, 'demo.json');
    writeFileSync(
      demoConfig,
      JSON.stringify({
        port: 0,
        facilitatorUrl: this.facilitatorUrl,
        facilitatorApiKey: this.apiKey,
        network: this.devnet.network,
        payTo: this.merchant.address,
        asset: {
          packageHash: this.token.packageHash,
          name: this.token.name,
          version: '1',
          decimals: this.token.decimals,
          symbol: this.token.symbol,
        },
      }),
    );
    this.running.demo = await startCli('demo', ['demo', '--config', demoConfig]);
    this.demoUrl = String(this.running.demo.ready.url);
  }

  private writeGenesis(genesis: GenesisOptions): string {
    this.installer = keygen(this.dir, 'installer');
    const file = join(this.dir, 'genesis.json');
    writeFileSync(
      file,
      JSON.stringify({
        accounts: [
          {
            name: 'installer',
            publicKey: this.installer.publicKey,
            motes: genesis.installerMotes ?? '1000000000000000',
          },
        ],
        tokens: genesis.tokens,
      }),
    );
    return file;
  }

  /** Puts the first contract the genesis installed first in `devnet.tokens`, as `token`. */
  private useWasmToken(named: { name: string; symbol: string; decimals: number }) {
    const contracts = (this.running.devnet!.ready.contracts ?? []) as Array<{
      packageHash: string;
      contractHash: string;
    }>;
    const contract = contracts[0];
    if (!contract) throw new Error('the genesis installed no Wasm contract');
    const token = {
      ...named,
      packageHash: contract.packageHash,
      contractHash: contract.contractHash,
    };
    this.devnet = { ...this.devnet, tokens: [token, ...this.devnet.tokens] };
  }

  private async startFacilitator() {
    const config = join(this.dir, 'facilitator.json');
    writeFileSync(
      config,
      JSON.stringify({
        host: '127.0.0.1',
        port: 0,
        apiKeys: [this.apiKey],
        database: join(this.dir, 'facilitator.sqlite'),
        logLevel: 'warn',
        networks: [
          {
            network: this.devnet.network,
            rpcUrl: this.devnet.rpcUrl,
            secretKeyPem: this.feePayer.pem,
            blockIntervalMs: 500,
            assets: [
              {
                packageHash: this.token.packageHash,
                domainName: this.token.name,
                version: '1',
                decimals: this.token.decimals,
                symbol: this.token.symbol,
              },
            ],
          },
        ],
      }),
    );
    this.running.facilitator = await startCli('facilitator', ['facilitator', '--config', config]);
    this.facilitatorUrl = String(this.running.facilitator.ready.url);
  }

  /** POST /settle on the facilitator, as a resource server would (with the API key). */
  async settle(paymentPayload: unknown, paymentRequirements: unknown): Promise<SettleResult> {
    const response = await fetch(`${this.facilitatorUrl}/settle`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.apiKey}` },
      body: JSON.stringify({ x402Version: 2, paymentPayload, paymentRequirements }),
    });
    return (await response.json()) as SettleResult;
  }

  /** Stops the facilitator process: the demo site can no longer verify or settle. */
  async stopFacilitator(): Promise<void> {
    await this.running.facilitator?.stop();
    this.running.facilitator = undefined;
  }

  /** CX402 balance (atomic units) of an account, read from the devnet like any node client would. */
  async tokenBalance(key: KeyFile): Promise<bigint> {
    const { state_root_hash } = await rpc<{ state_root_hash: string }>(
      this.devnet.rpcUrl,
      'chain_get_state_root_hash',
    );
    try {
      const item = await rpc<{ stored_value: { CLValue: { parsed: string } } }>(
        this.devnet.rpcUrl,
        'state_get_dictionary_item',
        {
          state_root_hash,
          dictionary_identifier: {
            ContractNamedKey: {
              key: `hash-${this.token.contractHash}`,
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

  async stop(): Promise<void> {
    await this.running.demo?.stop();
    await this.running.facilitator?.stop();
    await this.running.devnet?.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
