import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { resolveStorageOptions } from '../../src/storage/contract/options.js';
import { storageOrmOptions } from '../../src/storage/postgres/storage-orm.js';

/** A MikroORM on the storage's entities and migrations in `schema`, as the repository's MikroORM CLI builds it. */
export function storageOrm(url: string, schema: string, extra: Partial<Options> = {}): Promise<MikroORM> {
  const options = storageOrmOptions(resolveStorageOptions({ driver: 'postgres', clientUrl: url, schema }));
  return MikroORM.init({ ...options, ...extra, migrations: { ...options.migrations, ...extra.migrations } });
}
