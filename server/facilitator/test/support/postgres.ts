// A throwaway PostgreSQL cluster for tests: initdb into a temporary folder, pg_ctl start on
// 127.0.0.1 and a free port, one database per caller, everything removed on stop. The server
// comes from Debian's packages (.ci/run installs them). As root, it runs as the `postgres`
// user, since PostgreSQL refuses to run as root.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** Where initdb and pg_ctl are: $PG_BIN, the PATH, or Debian's /usr/lib/postgresql/<v>/bin. */
function binDir(): string | undefined {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const onPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (onPath.status === 0 && onPath.stdout.trim()) return join(onPath.stdout.trim(), '..');
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

const BIN = binDir();

/**
 * Whether a PostgreSQL server can be started here. With X402_REQUIRE_POSTGRES=1 (CI) a missing
 * server is an error, not a skipped test.
 */
export const postgresAvailable = BIN !== undefined;
if (!postgresAvailable && process.env.X402_REQUIRE_POSTGRES === '1') {
  throw new Error('PostgreSQL (initdb, pg_ctl) is required but not installed');
}
export const postgresSkipReason =
  'PostgreSQL is not installed (apt-get install postgresql); .ci/run installs it';

function userOf(name: string): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface PostgresCluster {
  port: number;
  /** A new empty database and its URL. */
  database(name?: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<PostgresCluster> {
  if (!BIN) throw new Error(postgresSkipReason);
  const dir = mkdtempSync(join(tmpdir(), 'x402-pg-'));
  const data = join(dir, 'data');
  const user = userOf('postgres');
  if (user) chownSync(dir, user.uid, user.gid);
  const run = (command: string, args: string[]) => {
    const result = spawnSync(join(BIN, command), args, {
      encoding: 'utf8',
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
      env: { ...process.env, LC_ALL: 'C' },
    });
    if (result.status !== 0) {
      throw new Error(`${command} failed: ${result.stderr || result.stdout || result.error}`);
    }
  };
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  run('pg_ctl', [
    '-D',
    data,
    '-l',
    join(dir, 'server.log'),
    '-o',
    `-p ${port} -h 127.0.0.1 -k ${dir} -c fsync=off -c max_connections=200`,
    '-w',
    'start',
  ]);
  let count = 0;
  return {
    port,
    async database(name = `x402_${process.pid}_${++count}`) {
      const admin = new pg.Client({
        connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
      });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
