import { defineConfig } from '@mikro-orm/postgresql';
import { resolveStorageOptions } from './src/storage/contract/options.js';
import { storageOrmOptions } from './src/storage/postgres/storage-orm.js';

/**
 * The MikroORM CLI's view of the postgres driver: the same options the driver runs with (entities,
 * static migrations list, migrations table), pointed at DATABASE_URL / DATABASE_SCHEMA like the
 * sync app. `migration:create` writes new files next to the existing migrations; add each one to
 * `storageMigrations` by hand (the list is static so the compiled package carries it).
 */
const clientUrl = process.env.DATABASE_URL;
if (!clientUrl) throw new Error('set DATABASE_URL (and DATABASE_SCHEMA if not public) to use the MikroORM CLI');

const options = storageOrmOptions(
  resolveStorageOptions({ driver: 'postgres', clientUrl, schema: process.env.DATABASE_SCHEMA || undefined }),
);

export default defineConfig({
  ...options,
  migrations: {
    ...options.migrations,
    path: './dist/esm/storage/postgres/migrations',
    pathTs: './src/storage/postgres/migrations',
    emit: 'ts',
    silent: false,
  },
});
