import { Migration } from '@mikro-orm/migrations';
import { DEFAULT_SCHEMA, quoteIdentifier } from '../storage-tables.js';
import { Migration20261207120000_document_versions } from './Migration20261207120000_document_versions.js';

/**
 * Version 3's history (`historyRetentionMs`). What compaction removes and what a new snapshot replaces can be
 * kept, for the retention, in two tables of their own that catch-up and `addDelta` never read:
 * - `sync_history_deltas`: the deltas compaction removed (the columns of `sync_deltas`, and when), indexed
 *   by (document, author, counter, seq), so a version is read per author and its later deltas are skipped in
 *   the index;
 * - `sync_history_snapshots`: the snapshots a new one replaced, with the version each was written at;
 * - `sync_snapshots.version`: the version the current snapshot took (0 for one stored before this migration);
 * - `sync_changes` gains an index on (document, version): history reads look versions up by number.
 * `sync_save_snapshot` and `sync_compact_deltas` are those of Migration20261207120000_document_versions with
 * a `p_retain` parameter: only when it is true do they copy to the history tables. Both tables reference the
 * document (on delete cascade), so `delete` and `erase` remove a document's history with it.
 *
 * Names are written out: this migration must keep doing what it did when shipped.
 */
export class Migration20261207130000_history extends Migration {
  override up(): void {
    const schema = quoteIdentifier(this.config.get('schema') ?? DEFAULT_SCHEMA);
    const q = (name: string): string => `${schema}.${quoteIdentifier(name)}`;
    this.addSql(`alter table ${q('sync_snapshots')} add column "version" bigint not null default 0`);
    this.addSql(`create table ${q('sync_history_deltas')} (
      "document_id" text collate "C" not null,
      "seq" bigint not null,
      "id" text collate "C" not null,
      "client_id" text collate "C" not null,
      "counter" bigint not null,
      "timestamp" bigint not null,
      "data" text null,
      "data_bytes" bytea null,
      "vector_clock" jsonb not null,
      "removed_at" timestamptz not null,
      constraint "sync_history_deltas_pkey" primary key ("document_id", "seq"),
      constraint "sync_history_deltas_document_id_foreign" foreign key ("document_id")
        references ${q('sync_documents')} ("id") on update cascade on delete cascade
    )`);
    this.addSql(`create index "sync_history_deltas_removed_at_index" on ${q('sync_history_deltas')} ("removed_at")`);
    // A version is read per author, as catch-up reads: the counters above the snapshot's. `seq` is a key column
    // so that the version's bound (seq <= its last) is checked in the index: later deltas are not fetched.
    this.addSql(`create index "sync_history_deltas_author_index" on ${q('sync_history_deltas')}
      ("document_id", "client_id", "counter", "seq")`);
    this.addSql(`create table ${q('sync_history_snapshots')} (
      "document_id" text collate "C" not null,
      "version" bigint not null,
      "data" bytea not null,
      "vector_clock" jsonb not null,
      "created_at" timestamptz(3) not null,
      "replaced_at" timestamptz not null,
      constraint "sync_history_snapshots_pkey" primary key ("document_id", "version"),
      constraint "sync_history_snapshots_document_id_foreign" foreign key ("document_id")
        references ${q('sync_documents')} ("id") on update cascade on delete cascade
    )`);
    this.addSql(
      `create index "sync_history_snapshots_replaced_at_index" on ${q('sync_history_snapshots')} ("replaced_at")`,
    );
    this.addSql(`create index "sync_changes_version_index" on ${q('sync_changes')} ("document_id", "version")`);
    this.addSql(`drop function ${q('sync_save_snapshot')}(text, bigint, bytea, jsonb, boolean, integer, bigint)`);
    this.addSql(`drop function ${q('sync_compact_deltas')}(text, jsonb, bigint)`);
    this.addSql(saveSnapshotFunction(q));
    this.addSql(compactDeltasFunction(q));
  }

  /** Down restores the two functions as Migration20261207120000_document_versions left them. */
  override down(): void {
    const schema = quoteIdentifier(this.config.get('schema') ?? DEFAULT_SCHEMA);
    const q = (name: string): string => `${schema}.${quoteIdentifier(name)}`;
    this.addSql(
      `drop function ${q('sync_save_snapshot')}(text, bigint, bytea, jsonb, boolean, integer, bigint, boolean)`,
    );
    this.addSql(`drop function ${q('sync_compact_deltas')}(text, jsonb, bigint, boolean)`);
    const versions = new Migration20261207120000_document_versions(this.driver, this.config);
    versions.up();
    for (const sql of versions.getQueries().map(String))
      if (
        sql.trimStart().startsWith(`create function ${q('sync_save_snapshot')}(`) ||
        sql.trimStart().startsWith(`create function ${q('sync_compact_deltas')}(`)
      )
        this.addSql(sql);
    this.addSql(`drop index ${schema}."sync_changes_version_index"`);
    this.addSql(`drop table ${q('sync_history_snapshots')}`);
    this.addSql(`drop table ${q('sync_history_deltas')}`);
    this.addSql(`alter table ${q('sync_snapshots')} drop column "version"`);
  }
}

type Qualify = (name: string) => string;

/** `p_now_ms` (Unix ms from the application clock) as a timestamptz. */
const NOW = `(timestamptz 'epoch' + p_now_ms * interval '1 millisecond')`;

/** The next log position, as SQL. */
function nextPosition(q: Qualify): string {
  return `nextval('${q('sync_changes_position').replaceAll("'", "''")}'::regclass)`;
}

/** Raised when a write would pass `maxDocumentAuthors`; nothing of the statement stays. */
const AUTHORS_LIMIT = `raise exception using errcode = 'SY001',
          message = 'the write would give the document more authors than maxDocumentAuthors'`;

/** What every write function answers besides its own result: the version and log position it took, if any. */
const VERSIONED = `out_version bigint, out_position bigint`;

/**
 * Replaces the snapshot unless the stored one's clock is not covered by the new clock (saved false, nothing
 * written). A clock with an entry above the document clock's raises `SY002` (nothing written) unless
 * `p_allow_ahead`: the caller's snapshot holds events never stored as deltas; its clock is then merged into the
 * document clock, within the author bound (`SY001`). A saved snapshot takes a version, recorded on its row;
 * with `p_retain` the snapshot it replaces is kept in `sync_history_snapshots` first.
 */
function saveSnapshotFunction(q: Qualify): string {
  return `create function ${q('sync_save_snapshot')}(
      p_document text, p_now_ms bigint, p_data bytea, p_clock jsonb, p_allow_ahead boolean, p_max_authors integer,
      p_origin bigint, p_retain boolean)
    returns table (out_saved boolean, ${VERSIONED})
    language plpgsql as $fn$
    declare
      v_authors integer;
      v_new integer;
      v_version bigint;
      v_position bigint;
    begin
      -- Creates the document when missing, and locks its row either way (ON CONFLICT locks the row it meets).
      insert into ${q('sync_documents')} as doc ("id", "next_seq", "created_at", "updated_at")
        values (p_document, 0, ${NOW}, ${NOW})
        on conflict ("id") do update set "next_seq" = doc."next_seq" where false;
      -- Compaction may already rely on the stored snapshot: never step back from it.
      if exists (
        select 1 from ${q('sync_snapshots')} as s cross join lateral jsonb_each_text(s."vector_clock") as entry
        where s."document_id" = p_document and entry.value::bigint > coalesce((p_clock ->> entry.key)::bigint, 0)
      ) then
        return query select false, null::bigint, null::bigint;
        return;
      end if;
      if exists (
        select 1 from jsonb_each_text(p_clock) as entry
        where entry.value::bigint > coalesce((select c."counter" from ${q('sync_document_clocks')} as c
                                              where c."document_id" = p_document and c."client_id" = entry.key), 0)
      ) then
        -- A snapshot claiming events that were never stored would make those authors' later deltas look
        -- covered, and they would be dropped as resends.
        if not p_allow_ahead then
          raise exception using errcode = 'SY002', message = 'the snapshot clock runs ahead of the document clock';
        end if;
        select doc."author_count" into v_authors from ${q('sync_documents')} as doc where doc."id" = p_document;
        select count(*) into v_new from jsonb_object_keys(p_clock) as entry(key)
          where not exists (select 1 from ${q('sync_document_clocks')} as c
                            where c."document_id" = p_document and c."client_id" = entry.key);
        if v_authors + v_new > p_max_authors then
          ${AUTHORS_LIMIT};
        end if;
        insert into ${q('sync_document_clocks')} as c ("document_id", "client_id", "counter")
          select p_document, entry.key, entry.value::bigint from jsonb_each_text(p_clock) as entry
          on conflict ("document_id", "client_id") do update set "counter" = greatest(c."counter", excluded."counter");
        update ${q('sync_documents')} as doc set "author_count" = doc."author_count" + v_new where doc."id" = p_document;
      end if;
      if p_retain then
        insert into ${q('sync_history_snapshots')}
          ("document_id", "version", "data", "vector_clock", "created_at", "replaced_at")
        select s."document_id", s."version", s."data", s."vector_clock", s."created_at", now()
        from ${q('sync_snapshots')} as s where s."document_id" = p_document
        on conflict do nothing;
      end if;
      select doc."version" + 1 into v_version from ${q('sync_documents')} as doc where doc."id" = p_document;
      insert into ${q('sync_snapshots')} ("document_id", "data", "vector_clock", "created_at", "version")
        values (p_document, p_data, p_clock, ${NOW}, v_version)
        on conflict ("document_id") do update
        set "data" = excluded."data", "vector_clock" = excluded."vector_clock", "created_at" = excluded."created_at",
            "version" = excluded."version";
      update ${q('sync_document_clocks')} as c set "snapshot_counter" = entry.value::bigint
        from jsonb_each_text(p_clock) as entry
        where c."document_id" = p_document and c."client_id" = entry.key;
      update ${q('sync_documents')} as doc
        set "updated_at" = greatest(${NOW}, doc."updated_at" + interval '1 millisecond'), "version" = doc."version" + 1
        where doc."id" = p_document
        returning doc."version" into v_version;
      insert into ${q('sync_changes')} ("document_id", "position", "version", "kind", "origin")
        values (p_document, ${nextPosition(q)}, v_version, 'snapshot', p_origin)
        returning "position" into v_position;
      return query select true, v_version, v_position;
    end
    $fn$`;
}

/**
 * Deletes, per author of `p_up_to`, the deltas up to the smaller of its counter and the snapshot's; a
 * compaction that removed any takes a version.
 */
function compactDeltasFunction(q: Qualify): string {
  return `create function ${q('sync_compact_deltas')}(p_document text, p_up_to jsonb, p_origin bigint, p_retain boolean)
    returns table (out_removed bigint, ${VERSIONED})
    language plpgsql as $fn$
    declare
      v_removed bigint;
      v_version bigint;
      v_position bigint;
    begin
      -- The writers' lock: no snapshot replacement or delta insert runs meanwhile.
      perform 1 from ${q('sync_documents')} as doc where doc."id" = p_document for no key update;
      if not found then
        return query select 0::bigint, null::bigint, null::bigint;
        return;
      end if;
      with bound as (
        select c."client_id", least(entry.value::bigint, c."snapshot_counter") as "counter"
        from jsonb_each_text(p_up_to) as entry
        join ${q('sync_document_clocks')} as c on c."document_id" = p_document and c."client_id" = entry.key
        where c."snapshot_counter" > 0 and c."stored_deltas" > 0
      ),
      removed as (
        delete from ${q('sync_deltas')} as x using bound
        where x."document_id" = p_document and x."client_id" = bound."client_id" and x."counter" <= bound."counter"
        returning x.*
      ),
      kept as (
        insert into ${q('sync_history_deltas')}
          ("document_id", "seq", "id", "client_id", "counter", "timestamp", "data", "data_bytes", "vector_clock",
           "removed_at")
        select r."document_id", r."seq", r."id", r."client_id", r."counter", r."timestamp", r."data", r."data_bytes",
               r."vector_clock", now()
        from removed as r where p_retain
      ),
      per_author as (select r."client_id", count(*) as "deltas" from removed as r group by r."client_id"),
      counted as (
        update ${q('sync_document_clocks')} as c set "stored_deltas" = c."stored_deltas" - per_author."deltas"
        from per_author where c."document_id" = p_document and c."client_id" = per_author."client_id"
      )
      select coalesce(sum(per_author."deltas"), 0) into v_removed from per_author;
      if v_removed > 0 then
        update ${q('sync_documents')} as doc set "version" = doc."version" + 1
          where doc."id" = p_document returning doc."version" into v_version;
        insert into ${q('sync_changes')} ("document_id", "position", "version", "kind", "origin")
          values (p_document, ${nextPosition(q)}, v_version, 'compacted', p_origin)
          returning "position" into v_position;
      end if;
      return query select v_removed, v_version, v_position;
    end
    $fn$`;
}
