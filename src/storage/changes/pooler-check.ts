import pg from 'pg';
import { StorageError } from '../contract/errors.js';

/**
 * Fails when a connection with `settings` reaches PostgreSQL through a transaction pooler (PgBouncer `pool_mode = transaction`,
 * and the poolers of managed offers built like it), where LISTEN cannot work: the session that listens is
 * handed to other clients after each statement, and notifications reach whoever holds it then.
 * - Straight to PostgreSQL, the backend key the server sent at connect names the server process
 *   (`pg_backend_pid()`); a pooler sends a key of its own: then something sits in between.
 * - In session mode, that server connection stays this client's; in transaction mode it goes back to the
 *   pooler's pool after each statement, and PgBouncer hands the most recently released one out first. So a
 *   statement of the driver's pool that lands on it, or a second statement of `client` that lands elsewhere,
 *   shows transaction pooling. The check runs on a connection of its own, closed after.
 * `poolBackendPid` runs `select pg_backend_pid()` on the driver's pool.
 */
export async function assertSessionOfItsOwn(
  settings: pg.ClientConfig,
  poolBackendPid: () => Promise<number>,
  target: string,
): Promise<void> {
  const client = new pg.Client(settings);
  client.on('error', () => undefined);
  await client.connect();
  let own: boolean;
  try {
    const pid = await backendPid(client);
    if ((client as { processID?: number | null }).processID === pid) return;
    const seenByPool = await poolBackendPid();
    const again = await backendPid(client);
    own = seenByPool !== pid && again === pid;
  } finally {
    await client.end().catch(() => undefined);
  }
  if (own) return;
  throw new StorageError(
    `the change feed cannot LISTEN through a transaction pooler (such as PgBouncer with pool_mode = transaction) ` +
      `in front of ${target}: set options.listenUrl to a direct connection to PostgreSQL, or to a pooler in session mode`,
  );
}

async function backendPid(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
  return rows[0]!.pid;
}
