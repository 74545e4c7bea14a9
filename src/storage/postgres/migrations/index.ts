import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261127000000_create_sync_storage } from './Migration20261127000000_create_sync_storage.js';
import { Migration20261130000000_clocks_per_author } from './Migration20261130000000_clocks_per_author.js';
import { Migration20261130120000_lighter_writes } from './Migration20261130120000_lighter_writes.js';
import { Migration20261207110000_document_bounds } from './Migration20261207110000_document_bounds.js';
import { Migration20261207120000_document_versions } from './Migration20261207120000_document_versions.js';
import { Migration20261207130000_history } from './Migration20261207130000_history.js';
import { Migration20261207140000_history_after_delete } from './Migration20261207140000_history_after_delete.js';
import { Migration20261207150000_author_order } from './Migration20261207150000_author_order.js';
import { Migration20261207154500_batch_ids } from './Migration20261207154500_batch_ids.js';
import { Migration20261207160000_author_order_in_writes } from './Migration20261207160000_author_order_in_writes.js';

/**
 * Every migration of the postgres driver, oldest first. Listed statically (no glob discovery) so the
 * compiled package carries them; a host app can pass this as `migrations.migrationsList`.
 */
export const storageMigrations: MigrationObject[] = [
  { name: 'Migration20261127000000_create_sync_storage', class: Migration20261127000000_create_sync_storage },
  { name: 'Migration20261130000000_clocks_per_author', class: Migration20261130000000_clocks_per_author },
  { name: 'Migration20261130120000_lighter_writes', class: Migration20261130120000_lighter_writes },
  { name: 'Migration20261207110000_document_bounds', class: Migration20261207110000_document_bounds },
  { name: 'Migration20261207120000_document_versions', class: Migration20261207120000_document_versions },
  { name: 'Migration20261207130000_history', class: Migration20261207130000_history },
  {
    name: 'Migration20261207140000_history_after_delete',
    class: Migration20261207140000_history_after_delete,
  },
  { name: 'Migration20261207150000_author_order', class: Migration20261207150000_author_order },
  { name: 'Migration20261207154500_batch_ids', class: Migration20261207154500_batch_ids },
  {
    name: 'Migration20261207160000_author_order_in_writes',
    class: Migration20261207160000_author_order_in_writes,
  },
];
