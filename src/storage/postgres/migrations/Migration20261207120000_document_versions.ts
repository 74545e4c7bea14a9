import { Migration } from '@mikro-orm/migrations';
import { DEFAULT_SCHEMA, quoteIdentifier } from '../storage-tables.js';
import { Migration20261130000000_clocks_per_author } from './Migration20261130000000_clocks_per_author.js';
import { Migration20261207110000_document_bounds } from './Migration20261207110000_document_bounds.js';

/**
 * Version 3 of the layout: document versions and the change log. The write functions are those of
 * Migration20261207110000_document_bounds (author bound, snapshot clock rule) with the following changes.
 * - `sync_documents.version`: every content write takes the document's next version under the document lock
 *   (documents stored before this migration start at 0 and take 1 with their next write);
 * - `sync_changes`: one row per version (document, version, kind, the seq range a deltas write stored), its
 *   `position` taken under the same lock, so one document's rows follow its commit order. The change feed
 *   reads it; deleting a document logs a `deleted` row that outlives the document's other rows;
 * - the write functions no longer NOTIFY: PostgreSQL holds a cluster-wide lock from NOTIFY until the commit
 *   is flushed, which made every notifying write wait for the others' flushes. They answer the version and
 *   log position instead (logging the writing provider's `origin`), and the provider sends a hint after commit. The old functions are dropped, so an
 *   instance of an older version fails loudly instead of writing unversioned changes.
 *
 * Names are written out: this migration must keep doing what it did when shipped.
 */
export class Migration20261207120000_document_versions extends Migration {
  override up(): void {
    const schema = quoteIdentifier(this.config.get('schema') ?? DEFAULT_SCHEMA);
    const q = (name: string): string => `${schema}.${quoteIdentifier(name)}`;
    this.addSql(`alter table ${q('sync_documents')} add column "version" bigint not null default 0`);
    this.addSql(`create table ${q('sync_changes')} (
      "document_id" text collate "C" not null,
      "position" bigint not null,
      "version" bigint not null,
      "kind" text not null,
      "first_seq" bigint null,
      "last_seq" bigint null,
      "origin" bigint not null,
      "committed_at" timestamptz not null default now(),
      constraint "sync_changes_pkey" primary key ("document_id", "position")
    )`);
    // Positions come from their own sequence, taken explicitly by each write under its document lock.
    this.addSql(`create sequence ${q('sync_changes_position')} as bigint`);
    // The feed reads the log in position order; a deletion is looked up per document (rarely written).
    this.addSql(`create index "sync_changes_position_index" on ${q('sync_changes')} ("position")`);
    this.addSql(`create index "sync_changes_deleted_index" on ${q('sync_changes')} ("document_id", "position")
      where "kind" = 'deleted'`);

    // The functions as Migration20261207110000_document_bounds left them.
    this.addSql(`drop function ${q('sync_add_delta')}(text, bigint, text, text, bigint, bigint, jsonb, text, bytea,
      integer, text, text)`);
    this.addSql(`drop function ${q('sync_add_deltas')}(text, bigint, integer[], text[], text[], bigint[], bigint[],
      jsonb, bytea, integer[], boolean[], integer, text, text)`);
    this.addSql(`drop function ${q('sync_save_snapshot')}(text, bigint, bytea, jsonb, boolean, integer, text, text)`);
    this.addSql(`drop function ${q('sync_compact_deltas')}(text, jsonb, text, text)`);
    this.addSql(addDeltaFunction(q));
    this.addSql(addDeltasFunction(q));
    this.addSql(saveSnapshotFunction(q));
    this.addSql(compactDeltasFunction(q));
  }

  /** Down restores the write functions as the two previous migrations that made them left them. */
  override down(): void {
    const schema = quoteIdentifier(this.config.get('schema') ?? DEFAULT_SCHEMA);
    const q = (name: string): string => `${schema}.${quoteIdentifier(name)}`;
    this.addSql(
      `drop function ${q('sync_add_delta')}(text, bigint, text, text, bigint, bigint, jsonb, text, bytea, integer,
      bigint)`,
    );
    this.addSql(`drop function ${q('sync_add_deltas')}(text, bigint, integer[], text[], text[], bigint[], bigint[],
      jsonb, bytea, integer[], boolean[], integer, bigint)`);
    this.addSql(`drop function ${q('sync_save_snapshot')}(text, bigint, bytea, jsonb, boolean, integer, bigint)`);
    this.addSql(`drop function ${q('sync_compact_deltas')}(text, jsonb, bigint)`);
    const created = (migration: Migration, name: string): string[] => {
      migration.up();
      return migration
        .getQueries()
        .map(String)
        .filter((sql) => sql.trimStart().startsWith(`create function ${q(name)}(`));
    };
    const bounds = (): Migration => new Migration20261207110000_document_bounds(this.driver, this.config);
    for (const name of ['sync_add_delta', 'sync_add_deltas', 'sync_save_snapshot'])
      for (const sql of created(bounds(), name)) this.addSql(sql);
    const clocks = new Migration20261130000000_clocks_per_author(this.driver, this.config);
    for (const sql of created(clocks, 'sync_compact_deltas')) this.addSql(sql);
    this.addSql(`drop table ${q('sync_changes')}`);
    this.addSql(`drop sequence ${q('sync_changes_position')}`);
    this.addSql(`alter table ${q('sync_documents')} drop column "version"`);
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

/** One `addDelta` call alone: stores the delta, merges its clock, takes a version and logs it. */
function addDeltaFunction(q: Qualify): string {
  return `create function ${q('sync_add_delta')}(
      p_document text, p_now_ms bigint, p_id text, p_client text, p_counter bigint, p_timestamp bigint,
      p_clock jsonb, p_data text, p_data_bytes bytea, p_max_authors integer, p_origin bigint)
    returns table (out_call integer, out_added integer, out_conflict_id text, out_existing_id text,
                   ${VERSIONED}, out_ids text[])
    language plpgsql
    set plan_cache_mode = 'force_generic_plan'
    as $fn$
    declare
      v_seq bigint;
      v_authors integer;
      v_new integer;
      v_added integer;
      v_existing text;
      v_version bigint;
      v_position bigint;
    begin
      -- The document lock, and the delta's place in commit order, in one statement. A no-op leaves a gap in
      -- seq, which only orders deltas.
      update ${q('sync_documents')} as doc set "next_seq" = doc."next_seq" + 1
        where doc."id" = p_document returning doc."next_seq" - 1, doc."author_count" into v_seq, v_authors;
      if not found then
        insert into ${q('sync_documents')} as doc ("id", "next_seq", "created_at", "updated_at")
          values (p_document, 0, ${NOW}, ${NOW})
          on conflict ("id") do update set "next_seq" = doc."next_seq" where false;
        update ${q('sync_documents')} as doc set "next_seq" = doc."next_seq" + 1
          where doc."id" = p_document returning doc."next_seq" - 1, doc."author_count" into v_seq, v_authors;
      end if;
      -- The authors the delta's clock would add: one index lookup per entry of its clock.
      select count(*) into v_new from jsonb_object_keys(p_clock) as entry(key)
        where not exists (select 1 from ${q('sync_document_clocks')} as c
                          where c."document_id" = p_document and c."client_id" = entry.key);
      if v_authors + v_new > p_max_authors
         and not exists (select 1 from ${q('sync_deltas')} as x where x."document_id" = p_document and x."id" = p_id)
         and p_counter > coalesce((select c."snapshot_counter" from ${q('sync_document_clocks')} as c
                                  where c."document_id" = p_document and c."client_id" = p_client), 0) then
        ${AUTHORS_LIMIT};
      end if;
      -- A stored id or event makes the insert a no-op (its unique indexes); the snapshot's coverage is checked here.
      with inserted as (
        insert into ${q('sync_deltas')}
          ("document_id", "seq", "id", "client_id", "counter", "timestamp", "data", "data_bytes", "vector_clock")
        select p_document, v_seq, p_id, p_client, p_counter, p_timestamp, p_data, p_data_bytes, p_clock
        where p_counter > coalesce((select c."snapshot_counter" from ${q('sync_document_clocks')} as c
                                   where c."document_id" = p_document and c."client_id" = p_client), 0)
        on conflict do nothing
        returning 1
      ),
      merged as (
        insert into ${q('sync_document_clocks')} as c ("document_id", "client_id", "counter", "stored_deltas")
        select p_document, entry.key, entry.value::bigint, (entry.key = p_client)::integer
        from jsonb_each_text(p_clock) as entry
        where exists (select 1 from inserted)
        on conflict ("document_id", "client_id") do update
          set "counter" = greatest(c."counter", excluded."counter"),
              "stored_deltas" = c."stored_deltas" + excluded."stored_deltas"
      ),
      touched as (
        update ${q('sync_documents')} as doc
        set "updated_at" = greatest(${NOW}, doc."updated_at" + interval '1 millisecond'),
            "author_count" = doc."author_count" + v_new,
            "version" = doc."version" + 1
        where doc."id" = p_document and exists (select 1 from inserted)
        returning doc."version"
      ),
      logged as (
        insert into ${q('sync_changes')} ("document_id", "position", "version", "kind", "first_seq", "last_seq", "origin")
        select p_document, ${nextPosition(q)}, touched."version", 'deltas', v_seq, v_seq, p_origin from touched
        returning "position", "version"
      )
      select (select count(*) from inserted), logged."version", logged."position"
        into v_added, v_version, v_position
        from (select 1) as one left join logged on true;

      if v_added = 0 then
        -- Not stored: a known id or a covered delta is a no-op; otherwise another id holds the event.
        if not exists (select 1 from ${q('sync_deltas')} as x where x."document_id" = p_document and x."id" = p_id)
           and p_counter > coalesce((select c."snapshot_counter" from ${q('sync_document_clocks')} as c
                                    where c."document_id" = p_document and c."client_id" = p_client), 0) then
          select x."id" into v_existing from ${q('sync_deltas')} as x
            where x."document_id" = p_document and x."client_id" = p_client and x."counter" = p_counter;
        end if;
        return query select 0, 0, case when v_existing is null then null else p_id end, v_existing,
          null::bigint, null::bigint, null::text[];
        return;
      end if;
      return query select 0, 1, null::text, null::text, v_version, v_position, array[p_id];
    end
    $fn$`;
}

/**
 * Stores a group of independent `addDeltas` calls in one transaction, which takes ONE version for all of
 * them. The caller guarantees no two calls of the group share a delta id or an event; within a call ids are
 * distinct. For each delta: a stored id or a delta the snapshot covers is a no-op; an event stored under
 * another id, or used by an earlier delta of its call, fails that call alone (nothing of it is stored).
 * Returns one row per call, in call order, with the ids it stored.
 */
function addDeltasFunction(q: Qualify): string {
  return `create function ${q('sync_add_deltas')}(
      p_document text, p_now_ms bigint,
      p_calls integer[], p_ids text[], p_clients text[], p_counters bigint[], p_timestamps bigint[],
      p_clocks jsonb, p_payload bytea, p_lengths integer[], p_binary boolean[], p_max_authors integer,
      p_origin bigint)
    returns table (out_call integer, out_added integer, out_conflict_id text, out_existing_id text,
                   ${VERSIONED}, out_ids text[])
    language plpgsql
    -- Planning the statement below anew for each call cost more than running it (about half of a call).
    set plan_cache_mode = 'force_generic_plan'
    as $fn$
    declare
      v_first bigint;
      v_authors integer;
      v_named bigint;
      v_new bigint;
      v_created boolean;
      v_stored bigint;
      v_results jsonb;
      v_version bigint;
      v_position bigint;
    begin
      -- Every writer of a document queues on its row, so seq order is commit order. A new document is
      -- created (or found created by a racing writer) and locked the same way.
      select doc."next_seq", doc."author_count" into v_first, v_authors from ${q('sync_documents')} as doc
        where doc."id" = p_document for no key update;
      if not found then
        insert into ${q('sync_documents')} as doc ("id", "next_seq", "created_at", "updated_at")
          values (p_document, 0, ${NOW}, ${NOW})
          on conflict ("id") do update set "next_seq" = doc."next_seq" where false
          returning true into v_created;
        select doc."next_seq", doc."author_count" into v_first, v_authors from ${q('sync_documents')} as doc
          where doc."id" = p_document;
      end if;
      -- Each statement below takes a new snapshot: it sees every commit made before the lock was granted.

      select count(distinct entry.key) into v_named
        from jsonb_array_elements(p_clocks) as clock(value) cross join lateral jsonb_object_keys(clock.value) as entry(key);
      if v_authors + v_named > p_max_authors then
        select count(distinct entry.key) into v_new
          from unnest(p_ids, p_clients, p_counters) with ordinality as i("id", "client_id", "counter", "ord")
          cross join lateral jsonb_object_keys(p_clocks -> (i."ord" - 1)::integer) as entry(key)
          where not exists (select 1 from ${q('sync_deltas')} as x where x."document_id" = p_document and x."id" = i."id")
            and i."counter" > coalesce((select c."snapshot_counter" from ${q('sync_document_clocks')} as c
                                        where c."document_id" = p_document and c."client_id" = i."client_id"), 0)
            and not exists (select 1 from ${q('sync_document_clocks')} as c
                            where c."document_id" = p_document and c."client_id" = entry.key);
        if v_authors + v_new > p_max_authors then
          ${AUTHORS_LIMIT};
        end if;
      end if;

      -- The payloads arrive as one binary parameter: delta n is the p_lengths[n] bytes after those before it,
      -- UTF-8 JSON text or, where p_binary[n], bytes. The clocks arrive as one JSON array.
      with sliced as (
          select i.*, (sum(i."length") over (order by i."ord") - i."length" + 1)::integer as "start"
          from unnest(p_calls, p_ids, p_clients, p_counters, p_timestamps, p_lengths, p_binary)
               with ordinality as i("call", "id", "client_id", "counter", "ts", "length", "binary", "ord")
        ),
        incoming as (
          select i."call", i."ord", i."id", i."client_id", i."counter", i."ts",
                 case when not i."binary" then convert_from(substring(p_payload from i."start" for i."length"), 'UTF8') end
                   as "data",
                 case when i."binary" then substring(p_payload from i."start" for i."length") end as "data_bytes",
                 p_clocks -> (i."ord" - 1)::integer as "clock",
                 exists (select 1 from ${q('sync_deltas')} as x where x."document_id" = p_document and x."id" = i."id")
                   as "known",
                 i."counter" <= coalesce((select c."snapshot_counter" from ${q('sync_document_clocks')} as c
                                          where c."document_id" = p_document and c."client_id" = i."client_id"), 0)
                   as "covered",
                 (select x."id" from ${q('sync_deltas')} as x
                  where x."document_id" = p_document and x."client_id" = i."client_id" and x."counter" = i."counter")
                   as "holder"
          from sliced as i
        ),
        -- The first delta of the call with each event claims it; a later one with another id clashes. One
        -- window pass: looking the earlier one up per delta made a 10,000-delta batch quadratic (10 s).
        claimed as (
          select i.*, first_value(i."id") over (partition by i."call", i."client_id", i."counter" order by i."ord")
                   as "claimant"
          from incoming as i
        ),
        clashes as (
          select distinct on (fresh."call") fresh."call", fresh."id", coalesce(fresh."holder", fresh."claimant") as "existing"
          from claimed as fresh
          where not fresh."known" and not fresh."covered" and (fresh."holder" is not null or fresh."claimant" <> fresh."id")
          order by fresh."call", fresh."ord"
        ),
        accepted as (
          select a.*, v_first + row_number() over (order by a."ord") - 1 as "seq"
          from incoming as a
          where not a."known" and not a."covered" and a."call" not in (select c."call" from clashes as c)
        ),
        inserted as (
          insert into ${q('sync_deltas')}
            ("document_id", "seq", "id", "client_id", "counter", "timestamp", "data", "data_bytes", "vector_clock")
          select p_document, a."seq", a."id", a."client_id", a."counter", a."ts", a."data", a."data_bytes", a."clock"
          from accepted as a
          returning "client_id", "vector_clock"
        ),
        -- The pointwise maximum of the stored deltas' clocks, per author, and whether the author is new.
        keyed as (
          select entry.key, max(entry.value::bigint) as "counter",
                 count(*) filter (where entry.key = ins."client_id") as "own",
                 not exists (select 1 from ${q('sync_document_clocks')} as c
                             where c."document_id" = p_document and c."client_id" = entry.key) as "fresh"
          from inserted as ins cross join lateral jsonb_each_text(ins."vector_clock") as entry
          group by entry.key
        ),
        merged as (
          insert into ${q('sync_document_clocks')} as c ("document_id", "client_id", "counter", "stored_deltas")
          select p_document, k.key, k."counter", k."own" from keyed as k
          on conflict ("document_id", "client_id") do update
            set "counter" = greatest(c."counter", excluded."counter"),
                "stored_deltas" = c."stored_deltas" + excluded."stored_deltas"
        ),
        touched as (
          update ${q('sync_documents')} as doc
          set "next_seq" = doc."next_seq" + (select count(*) from inserted),
              "author_count" = doc."author_count" + (select count(*) from keyed as k where k."fresh"),
              "updated_at" = greatest(${NOW}, doc."updated_at" + interval '1 millisecond'),
              "version" = doc."version" + 1
          where doc."id" = p_document and exists (select 1 from inserted)
          returning doc."version", doc."next_seq"
        ),
        logged as (
          insert into ${q('sync_changes')}
            ("document_id", "position", "version", "kind", "first_seq", "last_seq", "origin")
          select p_document, ${nextPosition(q)}, touched."version", 'deltas', v_first, touched."next_seq" - 1, p_origin
          from touched
          returning "position", "version"
        )
        select coalesce(jsonb_agg(jsonb_build_object(
                 'call', calls."call",
                 'added', (select count(*) from accepted as a where a."call" = calls."call"),
                 'ids', (select coalesce(jsonb_agg(a."id" order by a."seq"), '[]') from accepted as a
                         where a."call" = calls."call"),
                 'conflict', c."id", 'existing', c."existing") order by calls."call"), '[]'),
               (select count(*) from accepted),
               (select l."version" from logged as l), (select l."position" from logged as l)
        into v_results, v_stored, v_version, v_position
        from (select distinct i."call" from incoming as i) as calls
        left join clashes as c on c."call" = calls."call";

      return query
        select r."call", r."added", r."conflict", r."existing",
               case when r."added" > 0 then v_version end, case when r."added" > 0 then v_position end,
               array(select jsonb_array_elements_text(r."ids"))
        from jsonb_to_recordset(v_results) as r("call" integer, "added" integer, "ids" jsonb, "conflict" text, "existing" text);

      -- A call that stored nothing leaves no document behind either.
      if v_stored = 0 and v_created then
        delete from ${q('sync_documents')} as doc where doc."id" = p_document;
      end if;
    end
    $fn$`;
}

/**
 * Replaces the snapshot unless the stored one's clock is not covered by the new clock (saved false, nothing
 * written). A clock with an entry above the document clock's raises `SY002` (nothing written) unless
 * `p_allow_ahead`: the caller's snapshot holds events never stored as deltas; its clock is then merged into the
 * document clock, within the author bound (`SY001`). A saved snapshot takes a version.
 */
function saveSnapshotFunction(q: Qualify): string {
  return `create function ${q('sync_save_snapshot')}(
      p_document text, p_now_ms bigint, p_data bytea, p_clock jsonb, p_allow_ahead boolean, p_max_authors integer,
      p_origin bigint)
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
      insert into ${q('sync_snapshots')} ("document_id", "data", "vector_clock", "created_at")
        values (p_document, p_data, p_clock, ${NOW})
        on conflict ("document_id") do update
        set "data" = excluded."data", "vector_clock" = excluded."vector_clock", "created_at" = excluded."created_at";
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
  return `create function ${q('sync_compact_deltas')}(p_document text, p_up_to jsonb, p_origin bigint)
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
        returning x."client_id"
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
