import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort, postgresUser } from './postgres-server.js';

/** Where Debian's `pgbouncer` package puts the binary (`.ci/run` installs it when it is missing). */
const PGBOUNCER_PATHS = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer'];

/** A PgBouncer in front of a test PostgreSQL server, in transaction pooling mode with its default settings otherwise. */
export interface PgBouncer {
  readonly port: number;
  /** `url` (a URL of the PostgreSQL server behind it) with PgBouncer's host and port instead. */
  through(url: string): string;
  /** PgBouncer's log, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts PgBouncer on a free port in front of the server of `serverUrl`: `pool_mode = transaction`, SCRAM
 * for clients with the server's user and password in its auth file, every database passed through, and
 * nothing else changed (so it refuses startup parameters it does not know). It refuses to run as root: as
 * root, it runs as the `postgres` user. Fails, never skips, when PgBouncer is not installed.
 */
export async function startPgBouncer(serverUrl: string): Promise<PgBouncer> {
  const binary = PGBOUNCER_PATHS.find((path) => existsSync(path));
  if (!binary)
    throw new Error(`PgBouncer is not installed (looked in ${PGBOUNCER_PATHS.join(', ')}): apt-get install pgbouncer`);
  const server = new URL(serverUrl);
  const user = decodeURIComponent(server.username);
  const password = decodeURIComponent(server.password);
  const dir = mkdtempSync(join(tmpdir(), 'sync-storage-pgbouncer-'));
  const port = await freePort();
  const quote = (value: string): string => `"${value.replaceAll('"', '""')}"`;
  writeFileSync(join(dir, 'userlist.txt'), `${quote(user)} ${quote(password)}\n`, { mode: 0o600 });
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${server.hostname} port=${server.port}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = scram-sha-256',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      '',
    ].join('\n'),
  );
  const runAs = userInfo().uid === 0 ? postgresUser() : undefined;
  if (runAs) {
    chmodSync(dir, 0o700);
    for (const file of ['', 'userlist.txt', 'pgbouncer.ini']) chownSync(join(dir, file), runAs.uid, runAs.gid);
  }
  const child: ChildProcess = spawn(binary, [join(dir, 'pgbouncer.ini')], {
    ...(runAs ?? {}),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const log = (): string => {
    const file = join(dir, 'pgbouncer.log');
    return `${stderr}${existsSync(file) ? readFileSync(file, 'utf8') : ''}`.slice(-4000);
  };
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await untilListening(port, child, log);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    port,
    through(url: string) {
      const parsed = new URL(url);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      return parsed.toString();
    },
    log,
    stop,
  };
}

/** Resolves once the port takes connections; rejects when PgBouncer exits or after 10 s. */
async function untilListening(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`PgBouncer exited at start-up:\n${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`PgBouncer did not listen within 10 s:\n${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
