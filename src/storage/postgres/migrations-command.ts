import type { ResolvedStorageOptions } from '../contract/options.js';
import { describeDatabase, ownPoolSettings } from './own-connection.js';
import { toStorageError } from './postgres-errors.js';
import { readMigrationStatus, runStorageMigrations } from './run-storage-migrations.js';
import { StoragePool } from './storage-pool.js';
import { DEFAULT_SCHEMA } from './storage-tables.js';

export type MigrationCommand = 'list' | 'check' | 'up';

/**
 * One command of `nest-sync-storage-migrations` on the database of `options`, through the runner the driver
 * uses at start-up; `up` takes the driver's advisory lock. Answers the exit code: `check` is 1 while a
 * migration is pending. Failures are the driver's wrapped errors: no password, no raw driver text.
 */
export async function runMigrationCommand(
  command: MigrationCommand,
  options: ResolvedStorageOptions,
  print: (line: string) => void,
): Promise<number> {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const target = describeDatabase(options);
  try {
    const pool = new StoragePool({ ...(await ownPoolSettings(options)), min: 0, max: 1 });
    try {
      // A plain round trip first, so that the server's own reason for refusing (a missing database, a
      // refused password) is what the command says, before any migration work.
      await pool.query('select 1', []);
      print(`storage migrations in schema "${schema}" of ${target}`);
      if (command === 'up') {
        const applied = await runStorageMigrations(pool, schema);
        print(applied.length ? applied.map((name) => `applied   ${name}`).join('\n') : 'nothing to apply');
        return 0;
      }
      const { executed, pending } = await readMigrationStatus(pool, schema);
      if (command === 'list') {
        for (const name of executed) print(`executed  ${name}`);
        for (const name of pending) print(`pending   ${name}`);
        return 0;
      }
      print(pending.length ? `${pending.length} pending: ${pending.join(', ')}` : 'up to date');
      return pending.length ? 1 : 0;
    } finally {
      await pool.end().catch(() => undefined);
    }
  } catch (error) {
    throw toStorageError(error, target);
  }
}
