import type { MikroORM } from '@mikro-orm/postgresql';

interface LockConnection {
  query(sql: string, values: unknown[]): Promise<unknown>;
}

/**
 * Applies pending migrations while holding a session advisory lock keyed by schema, so instances
 * that start together migrate one after the other and the later ones find nothing to do. The lock
 * lives on its own connection outside the pool (the migrator needs pool connections, even with
 * `pool.max` 1) and is released when that connection closes, even if this process dies. Answers the
 * names applied.
 */
export async function runStorageMigrations(orm: MikroORM, schema: string): Promise<string[]> {
  const client = orm.em.getConnection().getKnex().client;
  const lockConnection = (await client.acquireRawConnection()) as LockConnection;
  try {
    await lockConnection.query('select pg_advisory_lock(hashtextextended($1, 0))', [
      `nest-sync-storage:migrations:${schema}`,
    ]);
    return (await orm.migrator.up()).map((migration) => migration.name);
  } finally {
    await client.destroyRawConnection(lockConnection).catch(() => undefined);
  }
}
