import { Migration } from '@mikro-orm/migrations';
import { DEFAULT_SCHEMA, quoteIdentifier } from '../storage-tables.js';

/**
 * `delete` keeps what retention keeps (version 3, History). A deleted document's history must outlive its row
 * in `sync_documents`, and a document created again starts again at version 1 and seq 0, so:
 * - the history tables no longer reference the document (no cascade): `delete` moves what the document held
 *   (its deltas and snapshot) into them and `erase` and the pruning remove their rows;
 * - each history row gains `ended_by`: 0 while its incarnation of the document lives, the log position of the
 *   `delete` that ended it afterwards. It leads the keys after the document id, so the incarnations' seqs and
 *   versions never collide and one incarnation is read on the index;
 * - `sync_documents.logged_version`: the current version's change-log row (version, kind, time, seq range),
 *   written by the change-log pruning when it removes that row, so the current version stays listed.
 *
 * Names are written out: this migration must keep doing what it did when shipped.
 */
export class Migration20261207140000_history_after_delete extends Migration {
  override up(): void {
    const schema = quoteIdentifier(this.config.get('schema') ?? DEFAULT_SCHEMA);
    const q = (name: string): string => `${schema}.${quoteIdentifier(name)}`;
    for (const table of ['sync_history_deltas', 'sync_history_snapshots']) {
      this.addSql(`alter table ${q(table)} drop constraint "${table}_document_id_foreign"`);
      this.addSql(`alter table ${q(table)} add column "ended_by" bigint not null default 0`);
      this.addSql(`alter table ${q(table)} drop constraint "${table}_pkey"`);
    }
    this.addSql(`alter table ${q('sync_history_deltas')}
      add constraint "sync_history_deltas_pkey" primary key ("document_id", "ended_by", "seq")`);
    this.addSql(`alter table ${q('sync_history_snapshots')}
      add constraint "sync_history_snapshots_pkey" primary key ("document_id", "ended_by", "version")`);
    this.addSql(`drop index ${schema}."sync_history_deltas_author_index"`);
    this.addSql(`create index "sync_history_deltas_author_index" on ${q('sync_history_deltas')}
      ("document_id", "ended_by", "client_id", "counter", "seq")`);
    this.addSql(`alter table ${q('sync_documents')} add column "logged_version" jsonb null`);
  }

  /** Down drops what a deleted incarnation kept (its rows have no document to reference) and restores the keys. */
  override down(): void {
    const schema = quoteIdentifier(this.config.get('schema') ?? DEFAULT_SCHEMA);
    const q = (name: string): string => `${schema}.${quoteIdentifier(name)}`;
    this.addSql(`alter table ${q('sync_documents')} drop column "logged_version"`);
    this.addSql(`drop index ${schema}."sync_history_deltas_author_index"`);
    this.addSql(`create index "sync_history_deltas_author_index" on ${q('sync_history_deltas')}
      ("document_id", "client_id", "counter", "seq")`);
    for (const [table, key] of [
      ['sync_history_deltas', 'seq'],
      ['sync_history_snapshots', 'version'],
    ] as const) {
      this.addSql(`delete from ${q(table)} where "ended_by" <> 0`);
      this.addSql(`alter table ${q(table)} drop constraint "${table}_pkey"`);
      this.addSql(`alter table ${q(table)} drop column "ended_by"`);
      this.addSql(`alter table ${q(table)} add constraint "${table}_pkey" primary key ("document_id", "${key}")`);
      this.addSql(`alter table ${q(table)} add constraint "${table}_document_id_foreign" foreign key ("document_id")
        references ${q('sync_documents')} ("id") on update cascade on delete cascade`);
    }
  }
}
