import type { ResolvedStorageOptions } from '../contract/options.js';
import { settleTls } from './connection-settings.js';
import { migrateStorage, storageMigrationStatus } from './host-orm.js';
import { toStorageError } from './postgres-errors.js';
import { CONNECTION_DEFAULTS, createStorageOrm, describeDatabase, storageOrmOptions } from './storage-orm.js';
import { DEFAULT_SCHEMA } from './storage-tables.js';

export type MigrationCommand = 'list' | 'check' | 'up';

/**
 * One command of `nest-sync-storage-migrations` on the database of `options`, through the same helpers an
 * app's own MikroORM would use; `up` takes the driver's advisory lock. Answers the exit code: `check` is 1
 * while a migration is pending. Failures are the driver's wrapped errors: no password, no raw driver text.
 */
export async function runMigrationCommand(
  command: MigrationCommand,
  options: ResolvedStorageOptions,
  print: (line: string) => void,
): Promise<number> {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const target = describeDatabase(options);
  try {
    const settings = await settleTls(options, CONNECTION_DEFAULTS.connectTimeoutMs);
    const orm = createStorageOrm(storageOrmOptions(options, settings));
    try {
      // The migrator reports a failed first connection as "Unable to acquire a connection": ask first, so the
      // server's own reason (a missing database, a refused password) is what the command says.
      const connection = await orm.checkConnection();
      if (!connection.ok) throw connection.error ?? new Error(connection.reason);
      print(`storage migrations in schema "${schema}" of ${target}`);
      if (command === 'up') {
        const applied = await migrateStorage(orm, { schema });
        print(applied.length ? applied.map((name) => `applied   ${name}`).join('\n') : 'nothing to apply');
        return 0;
      }
      const { executed, pending } = await storageMigrationStatus(orm, { schema });
      if (command === 'list') {
        for (const name of executed) print(`executed  ${name}`);
        for (const name of pending) print(`pending   ${name}`);
        return 0;
      }
      print(pending.length ? `${pending.length} pending: ${pending.join(', ')}` : 'up to date');
      return pending.length ? 1 : 0;
    } finally {
      await orm.close(true).catch(() => undefined);
    }
  } catch (error) {
    throw toStorageError(error, target);
  }
}
