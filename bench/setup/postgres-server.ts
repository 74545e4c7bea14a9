import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startPostgresServer as startTestServer } from '../../test/support/postgres-server.js';

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

/** The tests' embedded server (see test/support/postgres-server.ts): no fsync, so disk flushes do not swamp the timings. */
async function startEmbeddedServer(log: (message: string) => void): Promise<PostgresServer> {
  log('postgres: starting an embedded server (initdb takes a few seconds)');
  let server: Awaited<ReturnType<typeof startTestServer>>;
  try {
    server = await startTestServer();
  } catch (error) {
    throw new Error(`the embedded PostgreSQL server did not start: ${describeError(error)}`, { cause: error });
  }
  try {
    return await openServer(server.url(), 'embedded', () => server.destroy());
  } catch (error) {
    await server.destroy();
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

export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
