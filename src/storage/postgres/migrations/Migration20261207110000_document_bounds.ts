import { Migration } from '@mikro-orm/migrations';
import { DEFAULT_SCHEMA, quoteIdentifier } from '../storage-tables.js';
import { Migration20261130120000_lighter_writes } from './Migration20261130120000_lighter_writes.js';

/**
 * Bounds a document, not only each argument:
 * - `sync_documents.author_count`, the number of keys of the document clock, kept by the delta writes, so
 *   that a write checks `maxDocumentAuthors` (new parameter `p_max_authors`) under the document lock at the
 *   cost of its own clock entries, never the document's authors. A write past the bound raises SQLSTATE
 *   `SY001` before it stores anything; the driver answers `StorageLimitError`;
 * - `sync_save_snapshot` refuses (SQLSTATE `SY002`) a clock with an entry above the document clock's: such a
 *   snapshot would make later deltas of that author look covered and be dropped as resends. Only a caller
 *   whose snapshot holds events never stored as deltas says so (`p_allow_ahead`); its clock is merged then,
 *   within the author bound. Otherwise a snapshot never moves the document clock; it sets the snapshot counters.
 *
 * Names are written out: this migration must keep doing what it did when shipped.
 */
export class Migration20261207110000_document_bounds extends Migration {
  override up(): void {
    const schema = quoteIdentifier(this.config.get('schema') ?? DEFAULT_SCHEMA);
    const q = (name: string): string => `${schema}.${quoteIdentifier(name)}`;
    this.addSql(`alter table ${q('sync_documents')} add column "author_count" integer not null default 0`);
    this.addSql(`update ${q('sync_documents')} as doc set "author_count" = authors.n
      from (select c."document_id", count(*) as n from ${q('sync_document_clocks')} as c group by 1) as authors
      where doc."id" = authors."document_id"`);
    this.addSql(
      `drop function ${q('sync_add_delta')}(text, bigint, text, text, bigint, bigint, jsonb, text, bytea, text, text)`,
    );
    this.addSql(`drop function ${q('sync_add_deltas')}(text, bigint, integer[], text[], text[], bigint[], bigint[],
      jsonb, bytea, integer[], boolean[], text, text)`);
    this.addSql(`drop function ${q('sync_save_snapshot')}(text, bigint, bytea, jsonb, text, text)`);
    this.addSql(addDeltaFunction(q));
    this.addSql(addDeltasFunction(q));
    this.addSql(saveSnapshotFunction(q));
  }

  /** Down restores the writes as the previous migrations left them, and drops the count. */
  override down(): void {
    const schema = quoteIdentifier(this.config.get('schema') ?? DEFAULT_SCHEMA);
    const q = (name: string): string => `${schema}.${quoteIdentifier(name)}`;
    this.addSql(`drop function ${q('sync_add_delta')}(text, bigint, text, text, bigint, bigint, jsonb, text, bytea,
      integer, text, text)`);
    this.addSql(`drop function ${q('sync_add_deltas')}(text, bigint, integer[], text[], text[], bigint[], bigint[],
      jsonb, bytea, integer[], boolean[], integer, text, text)`);
    this.addSql(`drop function ${q('sync_save_snapshot')}(text, bigint, bytea, jsonb, boolean, integer, text, text)`);
    this.addSql(previousSaveSnapshotFunction(q));
    const previous = new Migration20261130120000_lighter_writes(this.driver, this.config);
    previous.up();
    for (const sql of previous.getQueries()) this.addSql(sql);
    this.addSql(`alter table ${q('sync_documents')} drop column "author_count"`);
  }
}

/** `p_now_ms` (Unix ms from the application clock) as a timestamptz. */
const NOW = `(timestamptz 'epoch' + p_now_ms * interval '1 millisecond')`;

/** The notification of a change, built inside the writing transaction: delivered only if it commits. */
const NOTIFY = `if p_channel is not null then
      perform pg_notify(p_channel, v_change::text);
    end if;`;

/** Raised when a write would pass `maxDocumentAuthors`; nothing of the statement stays. */
const AUTHORS_LIMIT = `raise exception using errcode = 'SY001',
          message = 'the write would give the document more authors than maxDocumentAuthors'`;

/** `sync_add_delta` of the previous migration, with the document's author bound. */
function addDeltaFunction(q: (name: string) => string): string {
  return `create function ${q('sync_add_delta')}(
      p_document text, p_now_ms bigint, p_id text, p_client text, p_counter bigint, p_timestamp bigint,
      p_clock jsonb, p_data text, p_data_bytes bytea, p_max_authors integer, p_channel text, p_origin text)
    returns table (out_call integer, out_added integer, out_conflict_id text, out_existing_id text)
    language plpgsql
    set plan_cache_mode = 'force_generic_plan'
    as $fn$
    declare
      v_seq bigint;
      v_authors integer;
      v_new integer;
      v_added integer;
      v_existing text;
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
            "author_count" = doc."author_count" + v_new
        where doc."id" = p_document and exists (select 1 from inserted)
      )
      select count(*) into v_added from inserted;

      if v_added = 0 then
        -- Not stored: a known id or a covered delta is a no-op; otherwise another id holds the event.
        if not exists (select 1 from ${q('sync_deltas')} as x where x."document_id" = p_document and x."id" = p_id)
           and p_counter > coalesce((select c."snapshot_counter" from ${q('sync_document_clocks')} as c
                                    where c."document_id" = p_document and c."client_id" = p_client), 0) then
          select x."id" into v_existing from ${q('sync_deltas')} as x
            where x."document_id" = p_document and x."client_id" = p_client and x."counter" = p_counter;
        end if;
        return query select 0, 0, case when v_existing is null then null else p_id end, v_existing;
        return;
      end if;
      if p_channel is not null then
        perform pg_notify(p_channel,
          jsonb_build_object('d', p_document, 'k', 'deltas', 'o', p_origin, 'i', jsonb_build_array(p_id))::text);
      end if;
      return query select 0, 1, null::text, null::text;
    end
    $fn$`;
}

/**
 * `sync_add_deltas` of the previous migration, with the document's author bound. The bound is checked for
 * the group as a whole, before anything is written: first against every key the group's clocks name (no
 * lookups), and only when that could pass it, exactly, over the deltas that are not no-ops. A group that
 * passes it raises `SY001`; the driver then runs the group's calls one by one, so each gets its own answer.
 */
function addDeltasFunction(q: (name: string) => string): string {
  return `create function ${q('sync_add_deltas')}(
      p_document text, p_now_ms bigint,
      p_calls integer[], p_ids text[], p_clients text[], p_counters bigint[], p_timestamps bigint[],
      p_clocks jsonb, p_payload bytea, p_lengths integer[], p_binary boolean[], p_max_authors integer,
      p_channel text, p_origin text)
    returns table (out_call integer, out_added integer, out_conflict_id text, out_existing_id text)
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
      v_ids text[];
      v_results jsonb;
      v_change jsonb;
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
              "updated_at" = greatest(${NOW}, doc."updated_at" + interval '1 millisecond')
          where doc."id" = p_document and exists (select 1 from inserted)
        )
        select coalesce(jsonb_agg(jsonb_build_object(
                 'call', calls."call",
                 'added', (select count(*) from accepted as a where a."call" = calls."call"),
                 'conflict', c."id", 'existing', c."existing") order by calls."call"), '[]'),
               coalesce((select array_agg(a."id" order by a."seq") from accepted as a), '{}')
        into v_results, v_ids
        from (select distinct i."call" from incoming as i) as calls
        left join clashes as c on c."call" = calls."call";

      return query
        select r."call", r."added", r."conflict", r."existing"
        from jsonb_to_recordset(v_results) as r("call" integer, "added" integer, "conflict" text, "existing" text);

      -- A call that stored nothing leaves no document behind either.
      if cardinality(v_ids) = 0 and v_created then
        delete from ${q('sync_documents')} as doc where doc."id" = p_document;
      end if;
      if cardinality(v_ids) > 0 then
        v_change := jsonb_build_object('d', p_document, 'k', 'deltas', 'o', p_origin, 'i', to_jsonb(v_ids));
        -- NOTIFY payloads must stay under 8000 bytes: without room for the ids, subscribers catch up instead.
        if octet_length(v_change::text) > 7900 then v_change := v_change - 'i'; end if;
        ${NOTIFY}
      end if;
    end
    $fn$`;
}

/**
 * Replaces the snapshot unless the stored one's clock is not covered by the new clock (returns false, nothing
 * written). A clock with an entry above the document clock's raises `SY002` (nothing written) unless
 * `p_allow_ahead`: the caller's snapshot holds events never stored as deltas (an update too large for one);
 * its clock is then merged into the document clock, within the author bound (`SY001`).
 */
function saveSnapshotFunction(q: (name: string) => string): string {
  return `create function ${q('sync_save_snapshot')}(
      p_document text, p_now_ms bigint, p_data bytea, p_clock jsonb, p_allow_ahead boolean, p_max_authors integer,
      p_channel text, p_origin text)
    returns boolean
    language plpgsql as $fn$
    declare
      v_authors integer;
      v_new integer;
      v_change jsonb;
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
        return false;
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
        set "updated_at" = greatest(${NOW}, doc."updated_at" + interval '1 millisecond')
        where doc."id" = p_document;
      v_change := jsonb_build_object('d', p_document, 'k', 'snapshot', 'o', p_origin);
      ${NOTIFY}
      return true;
    end
    $fn$`;
}

/** The snapshot write as the clocks-per-author migration shipped it, for `down`. */
function previousSaveSnapshotFunction(q: (name: string) => string): string {
  return `create function ${q('sync_save_snapshot')}(
      p_document text, p_now_ms bigint, p_data bytea, p_clock jsonb, p_channel text, p_origin text)
    returns boolean
    language plpgsql as $fn$
    declare
      v_change jsonb;
    begin
      insert into ${q('sync_documents')} as doc ("id", "next_seq", "created_at", "updated_at")
        values (p_document, 0, ${NOW}, ${NOW})
        on conflict ("id") do update set "next_seq" = doc."next_seq" where false;
      if exists (
        select 1 from ${q('sync_snapshots')} as s cross join lateral jsonb_each_text(s."vector_clock") as entry
        where s."document_id" = p_document and entry.value::bigint > coalesce((p_clock ->> entry.key)::bigint, 0)
      ) then
        return false;
      end if;
      insert into ${q('sync_snapshots')} ("document_id", "data", "vector_clock", "created_at")
        values (p_document, p_data, p_clock, ${NOW})
        on conflict ("document_id") do update
        set "data" = excluded."data", "vector_clock" = excluded."vector_clock", "created_at" = excluded."created_at";
      insert into ${q('sync_document_clocks')} as c ("document_id", "client_id", "counter", "snapshot_counter")
        select p_document, entry.key, entry.value::bigint, entry.value::bigint from jsonb_each_text(p_clock) as entry
        on conflict ("document_id", "client_id") do update
        set "counter" = greatest(c."counter", excluded."counter"), "snapshot_counter" = excluded."snapshot_counter";
      update ${q('sync_documents')} as doc
        set "updated_at" = greatest(${NOW}, doc."updated_at" + interval '1 millisecond')
        where doc."id" = p_document;
      v_change := jsonb_build_object('d', p_document, 'k', 'snapshot', 'o', p_origin);
      ${NOTIFY}
      return true;
    end
    $fn$`;
}
