#!/usr/bin/env node
// `nest-sync-storage-migrations <list|check|up>`: the storage migrations of DATABASE_URL (DATABASE_SCHEMA), for
// release steps and deploy checks. Exit codes: 0 done (and `--help`), 1 failed (or `check` found pending
// migrations), 2 usage.
import { StorageError } from '../contract/errors.js';
import { resolveStorageOptions } from '../contract/options.js';
import { loadPostgresDriver } from '../load-postgres-driver.js';
import type { MigrationCommand } from './migrations-command.js';

const COMMANDS: readonly MigrationCommand[] = ['list', 'check', 'up'];

const USAGE = `usage: nest-sync-storage-migrations <list|check|up|--help>
  list   executed and pending storage migrations
  check  exit 1 while a migration is pending (for deploy scripts)
  up     apply the pending migrations, under the driver's advisory lock
environment: DATABASE_URL (postgresql://user:password@host:5432/db), DATABASE_SCHEMA (default public)`;

/** Option names as the command's user knows them. */
const VARIABLES: [string, string][] = [
  ['options.clientUrl', 'DATABASE_URL'],
  ['options.schema', 'DATABASE_SCHEMA'],
];

const HELP = ['--help', '-h', 'help'];

async function main(command: string | undefined): Promise<number> {
  if (HELP.includes(command as string)) {
    console.log(USAGE);
    return 0;
  }
  if (!COMMANDS.includes(command as MigrationCommand)) {
    console.error(USAGE);
    return 2;
  }
  if (!process.env.DATABASE_URL) {
    console.error(`DATABASE_URL is not set\n${USAGE}`);
    return 2;
  }
  const options = resolveStorageOptions({
    driver: 'postgres',
    clientUrl: process.env.DATABASE_URL,
    schema: process.env.DATABASE_SCHEMA || undefined,
    pool: { min: 0, max: 2 },
  });
  const { runMigrationCommand } = await loadPostgresDriver(() => import('./migrations-command.js'));
  return runMigrationCommand(command as MigrationCommand, options, (line) => console.log(line));
}

main(process.argv[2]).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Only the package's own messages: a raw driver error may quote SQL, values or the connection string.
    const message = error instanceof StorageError ? error.message : 'the command failed unexpectedly';
    console.error(VARIABLES.reduce((text, [option, variable]) => text.replaceAll(option, variable), message));
    process.exitCode = 1;
  },
);
