import { Migration } from '@mikro-orm/migrations';
import { DEFAULT_SCHEMA, qualifiedTables, quoteIdentifier } from '../storage-tables.js';

/**
 * Creates the driver's four tables in the configured schema. Ids are `COLLATE "C"` so they sort by
 * code point; delta payloads are TEXT because jsonb cannot hold U+0000 or lone surrogates.
 */
export class Migration20261127000000_create_sync_storage extends Migration {
  override async up(): Promise<void> {
    const schema = this.schemaName();
    const t = qualifiedTables(schema);
    this.addSql(`create schema if not exists ${quoteIdentifier(schema)}`);
    this.addSql(`create table ${t.documents} (
      "id" text collate "C" not null,
      "vector_clock" jsonb not null default '{}',
      "next_seq" bigint not null default 0,
      "created_at" timestamptz(3) not null,
      "updated_at" timestamptz(3) not null,
      constraint "sync_documents_pkey" primary key ("id")
    )`);
    this.addSql(`create table ${t.deltas} (
      "document_id" text collate "C" not null,
      "seq" bigint not null,
      "id" text collate "C" not null,
      "client_id" text collate "C" not null,
      "counter" bigint not null,
      "timestamp" bigint not null,
      "data" text not null,
      "vector_clock" jsonb not null,
      constraint "sync_deltas_pkey" primary key ("document_id", "seq"),
      constraint "sync_deltas_document_id_id_unique" unique ("document_id", "id"),
      constraint "sync_deltas_document_id_foreign" foreign key ("document_id")
        references ${t.documents} ("id") on update cascade on delete cascade
    )`);
    this.addSql(
      `create index "sync_deltas_document_id_client_id_counter_index" on ${t.deltas} ("document_id", "client_id", "counter")`,
    );
    this.addSql(`create table ${t.snapshots} (
      "document_id" text collate "C" not null,
      "data" bytea not null,
      "vector_clock" jsonb not null,
      "created_at" timestamptz(3) not null,
      constraint "sync_snapshots_pkey" primary key ("document_id"),
      constraint "sync_snapshots_document_id_foreign" foreign key ("document_id")
        references ${t.documents} ("id") on update cascade on delete cascade
    )`);
    this.addSql(`create table ${t.awareness} (
      "document_id" text collate "C" not null,
      "client_id" text collate "C" not null,
      "connection_id" text collate "C" null,
      "state" text not null,
      "clock" bigint not null,
      "updated_at" timestamptz(3) not null,
      "expires_at" timestamptz(3) not null,
      constraint "sync_awareness_pkey" primary key ("document_id", "client_id")
    )`);
    this.addSql(`create index "sync_awareness_connection_id_index" on ${t.awareness} ("connection_id")`);
    this.addSql(`create index "sync_awareness_expires_at_index" on ${t.awareness} ("expires_at")`);
  }

  override async down(): Promise<void> {
    const t = qualifiedTables(this.schemaName());
    this.addSql(`drop table if exists ${t.awareness}`);
    this.addSql(`drop table if exists ${t.snapshots}`);
    this.addSql(`drop table if exists ${t.deltas}`);
    this.addSql(`drop table if exists ${t.documents}`);
  }

  private schemaName(): string {
    return this.config.get('schema') ?? DEFAULT_SCHEMA;
  }
}
