import type { MikroORM } from '@mikro-orm/postgresql';
import { StorageUnavailableError } from '../contract/errors.js';
import { elapsedSince } from '../storage.logger.js';
import { hasSqlState } from './postgres-errors.js';
import type { MigrationEvents } from './storage-connection.js';

interface LockConnection {
  query(sql: string, values: unknown[]): Promise<{ rows: { locked?: boolean }[] }>;
}

/**
 * Applies pending migrations while holding a session advisory lock keyed by schema, so instances
 * that start together migrate one after the other and the later ones find nothing to do. The lock
 * lives on its own connection outside the pool (the migrator needs pool connections, even with
 * `pool.max` 1) and is released when that connection closes, even if this process dies. Answers the
 * names applied.
 */
export async function runStorageMigrations(
  orm: MikroORM,
  schema: string,
  events: MigrationEvents = {},
): Promise<string[]> {
  const client = orm.em.getConnection().getKnex().client;
  const lockConnection = (await client.acquireRawConnection()) as LockConnection;
  const key = [`nest-sync-storage:migrations:${schema}`];
  try {
    const { rows } = await lockConnection.query('select pg_try_advisory_lock(hashtextextended($1, 0)) as locked', key);
    if (!rows[0]?.locked) {
      events.lockWait?.();
      const waiting = performance.now();
      await lockConnection.query('select pg_advisory_lock(hashtextextended($1, 0))', key).catch((error: unknown) => {
        if (!hasSqlState(error, '57014')) throw error;
        throw new StorageUnavailableError(
          `timed out after ${elapsedSince(waiting)} waiting for the storage migration lock held by another session (schema "${schema}"): another instance is still migrating, or a session holds the lock; start again once it is released`,
          { cause: error },
        );
      });
    }
    return (await orm.migrator.up()).map((migration) => migration.name);
  } finally {
    await client.destroyRawConnection(lockConnection).catch(() => undefined);
  }
}
