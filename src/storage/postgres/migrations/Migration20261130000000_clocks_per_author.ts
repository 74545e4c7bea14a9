import { Migration } from '@mikro-orm/migrations';
import { DEFAULT_SCHEMA, quoteIdentifier } from '../storage-tables.js';

/**
 * Version 2 of the layout:
 * - the document clock moves from one jsonb per document to one row per (document, author), so a write
 *   touches only the entries its deltas carry; the row also holds the author's snapshot counter and how many
 *   of its deltas are stored, so a write checks snapshot coverage and catch-up finds the authors with stored
 *   deltas without reading the whole clock;
 * - `(document, client, counter)` names one event: a unique index backs the conflict rule. Deltas that
 *   broke it under version 1 are kept, in `sync_deltas_superseded`, never deleted;
 * - delta data may be bytes (`data_bytes`), exactly one of `data`/`data_bytes` set;
 * - the locked write paths become functions, so each is one round trip with bound parameters while its
 *   statements still see every commit made before the document lock was granted.
 *
 * Table and function names are written out here: this migration must keep doing what it did when shipped.
 */
export class Migration20261130000000_clocks_per_author extends Migration {
  override up(): void {
    const q = qualify(this.schemaName());
    this.addSql(`create table ${q('sync_document_clocks')} (
      "document_id" text collate "C" not null,
      "client_id" text collate "C" not null,
      "counter" bigint not null,
      "snapshot_counter" bigint not null default 0,
      "stored_deltas" bigint not null default 0,
      constraint "sync_document_clocks_pkey" primary key ("document_id", "client_id"),
      constraint "sync_document_clocks_document_id_foreign" foreign key ("document_id")
        references ${q('sync_documents')} ("id") on update cascade on delete cascade
    )`);
    // Catch-up visits the authors that have stored deltas, and only those.
    this.addSql(`create index "sync_document_clocks_authors_index" on ${q('sync_document_clocks')}
      ("document_id", "client_id") include ("counter") where "stored_deltas" > 0`);

    // Version 1 let two ids share one event; the later ones move aside before the unique index exists.
    this.addSql(`do $migrate$ begin
      if exists (select 1 from ${q('sync_deltas')} group by "document_id", "client_id", "counter" having count(*) > 1) then
        create table ${q('sync_deltas_superseded')} (like ${q('sync_deltas')}, "superseded_at" timestamptz not null default now());
        with ranked as (
          select "document_id", "seq",
                 row_number() over (partition by "document_id", "client_id", "counter" order by "seq") as "rank"
          from ${q('sync_deltas')}
        ), moved as (
          delete from ${q('sync_deltas')} as d using ranked
          where d."document_id" = ranked."document_id" and d."seq" = ranked."seq" and ranked."rank" > 1
          returning d.*
        )
        insert into ${q('sync_deltas_superseded')} select moved.*, now() from moved;
      end if;
    end $migrate$`);
    this.addSql(`drop index ${q('sync_deltas_document_id_client_id_counter_index')}`);
    this.addSql(
      `create unique index "sync_deltas_event_unique" on ${q('sync_deltas')} ("document_id", "client_id", "counter")`,
    );

    this.addSql(`insert into ${q('sync_document_clocks')} ("document_id", "client_id", "counter")
      select doc."id", entry.key, entry.value::bigint
      from ${q('sync_documents')} as doc cross join lateral jsonb_each_text(doc."vector_clock") as entry`);
    this.addSql(`update ${q('sync_document_clocks')} as clock set "snapshot_counter" = entry.value::bigint
      from ${q('sync_snapshots')} as snapshot cross join lateral jsonb_each_text(snapshot."vector_clock") as entry
      where clock."document_id" = snapshot."document_id" and clock."client_id" = entry.key`);
    this.addSql(`update ${q('sync_document_clocks')} as clock set "stored_deltas" = stored.deltas
      from (select "document_id", "client_id", count(*) as deltas from ${q('sync_deltas')} group by 1, 2) as stored
      where clock."document_id" = stored."document_id" and clock."client_id" = stored."client_id"`);
    this.addSql(`alter table ${q('sync_documents')} drop column "vector_clock"`);

    this.addSql(`alter table ${q('sync_deltas')}
      alter column "data" drop not null,
      add column "data_bytes" bytea null,
      add constraint "sync_deltas_data_check" check (("data" is null) <> ("data_bytes" is null))`);

    this.addSql(addDeltasFunction(q));
    this.addSql(saveSnapshotFunction(q));
    this.addSql(compactDeltasFunction(q));
    this.addSql(setAwarenessFunction(q));
  }

  override down(): void {
    const q = qualify(this.schemaName());
    for (const name of ['sync_set_awareness', 'sync_compact_deltas', 'sync_save_snapshot', 'sync_add_deltas'])
      this.addSql(`drop function if exists ${q(name)}`);
    this.addSql(`alter table ${q('sync_documents')} add column "vector_clock" jsonb not null default '{}'`);
    this.addSql(`update ${q('sync_documents')} as doc set "vector_clock" = clocks.clock
      from (select "document_id", jsonb_object_agg("client_id", "counter") as clock
            from ${q('sync_document_clocks')} group by 1) as clocks
      where doc."id" = clocks."document_id"`);
    this.addSql(`delete from ${q('sync_deltas')} where "data_bytes" is not null`);
    this.addSql(`alter table ${q('sync_deltas')} drop constraint "sync_deltas_data_check", drop column "data_bytes",
      alter column "data" set not null`);
    this.addSql(`drop index ${q('sync_deltas_event_unique')}`);
    this.addSql(`create index "sync_deltas_document_id_client_id_counter_index" on ${q('sync_deltas')}
      ("document_id", "client_id", "counter")`);
    this.addSql(`drop table ${q('sync_document_clocks')}`);
  }

  private schemaName(): string {
    return this.config.get('schema') ?? DEFAULT_SCHEMA;
  }
}

type Qualify = (name: string) => string;

function qualify(schema: string): Qualify {
  return (name) => `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`;
}

/** `p_now_ms` (Unix ms from the application clock) as a timestamptz. */
const NOW = `(timestamptz 'epoch' + p_now_ms * interval '1 millisecond')`;

/** The notification of a change, built inside the writing transaction: delivered only if it commits. */
const NOTIFY = `if p_channel is not null then
      perform pg_notify(p_channel, v_change::text);
    end if;`;

/**
 * Stores a group of independent `addDeltas` calls in one transaction. The caller guarantees no two calls of
 * the group share a delta id or an event; within a call ids are distinct. For each delta: a stored id or a
 * delta the snapshot covers is a no-op; an event stored under another id, or used by an earlier delta of its
 * call, fails that call alone (nothing of it is stored). Returns one row per call, in call order.
 */
function addDeltasFunction(q: Qualify): string {
  return `create function ${q('sync_add_deltas')}(
      p_document text, p_now_ms bigint,
      p_calls integer[], p_ids text[], p_clients text[], p_counters bigint[], p_timestamps bigint[],
      p_clocks jsonb, p_payload bytea, p_lengths integer[], p_binary boolean[],
      p_channel text, p_origin text)
    returns table (out_call integer, out_added integer, out_conflict_id text, out_existing_id text)
    language plpgsql
    -- Planning the statement below anew for each call cost more than running it (about half of a call).
    set plan_cache_mode = 'force_generic_plan'
    as $fn$
    declare
      v_first bigint;
      v_created boolean;
      v_ids text[];
      v_results jsonb;
      v_change jsonb;
    begin
      -- Every writer of a document queues on its row, so seq order is commit order. A new document is
      -- created (or found created by a racing writer) and locked the same way.
      select doc."next_seq" into v_first from ${q('sync_documents')} as doc where doc."id" = p_document
        for no key update;
      if not found then
        insert into ${q('sync_documents')} as doc ("id", "next_seq", "created_at", "updated_at")
          values (p_document, 0, ${NOW}, ${NOW})
          on conflict ("id") do update set "next_seq" = doc."next_seq" where false
          returning true into v_created;
        select doc."next_seq" into v_first from ${q('sync_documents')} as doc where doc."id" = p_document;
      end if;
      -- Each statement below takes a new snapshot: it sees every commit made before the lock was granted.

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
        clashes as (
          select distinct on (fresh."call") fresh."call", fresh."id", coalesce(fresh."holder", earlier."id") as "existing"
          from incoming as fresh
          left join lateral (
            select e."id" from incoming as e
            where e."call" = fresh."call" and e."ord" < fresh."ord"
              and e."client_id" = fresh."client_id" and e."counter" = fresh."counter"
            order by e."ord" limit 1
          ) as earlier on true
          where not fresh."known" and not fresh."covered" and (fresh."holder" is not null or earlier."id" is not null)
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
        merged as (
          insert into ${q('sync_document_clocks')} as c ("document_id", "client_id", "counter", "stored_deltas")
          select p_document, entry.key, max(entry.value::bigint), count(*) filter (where entry.key = ins."client_id")
          from inserted as ins cross join lateral jsonb_each_text(ins."vector_clock") as entry
          group by entry.key
          on conflict ("document_id", "client_id") do update
            set "counter" = greatest(c."counter", excluded."counter"),
                "stored_deltas" = c."stored_deltas" + excluded."stored_deltas"
        ),
        touched as (
          update ${q('sync_documents')} as doc
          set "next_seq" = doc."next_seq" + (select count(*) from inserted),
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
 * Replaces the snapshot unless the stored one's clock is not covered by the new clock (returns false,
 * nothing written), and merges the clock into the document clock.
 */
function saveSnapshotFunction(q: Qualify): string {
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
      -- Compaction may already rely on the stored snapshot: never step back from it.
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

/** Deletes, per author of `p_up_to`, the deltas up to the smaller of its counter and the snapshot's. */
function compactDeltasFunction(q: Qualify): string {
  return `create function ${q('sync_compact_deltas')}(p_document text, p_up_to jsonb, p_channel text, p_origin text)
    returns bigint
    language plpgsql as $fn$
    declare
      v_removed bigint;
      v_change jsonb;
    begin
      -- The writers' lock: no snapshot replacement or delta insert runs meanwhile.
      perform 1 from ${q('sync_documents')} as doc where doc."id" = p_document for no key update;
      if not found then return 0; end if;
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
        v_change := jsonb_build_object('d', p_document, 'k', 'compacted', 'o', p_origin);
        ${NOTIFY}
      end if;
      return v_removed;
    end
    $fn$`;
}

/**
 * Writes a client's awareness entry unless its unexpired entry has a clock >= the new one ('stale'). A client
 * without an unexpired entry is refused ('limit') when the document already has `p_max_entries` of them;
 * that count runs under a per-document lock so racing new clients cannot pass the limit together.
 */
function setAwarenessFunction(q: Qualify): string {
  return `create function ${q('sync_set_awareness')}(
      p_document text, p_client text, p_connection text, p_state text, p_clock bigint,
      p_now_ms bigint, p_expires_ms bigint, p_max_entries bigint, p_lock_key text, p_channel text, p_origin text)
    returns text
    language plpgsql
    set plan_cache_mode = 'force_generic_plan'
    as $fn$
    declare
      v_now timestamptz := ${NOW};
      v_expires timestamptz := timestamptz 'epoch' + p_expires_ms * interval '1 millisecond';
      v_clock bigint;
      v_change jsonb;
    begin
      -- The common case first, in one statement: a client moving its own live entry forward.
      update ${q('sync_awareness')} as a
        set "connection_id" = p_connection, "state" = p_state, "clock" = p_clock,
            "updated_at" = v_now, "expires_at" = v_expires
        where a."document_id" = p_document and a."client_id" = p_client
          and a."expires_at" > v_now and a."clock" < p_clock;
      if found then
        v_change := jsonb_build_object('d', p_document, 'k', 'awareness', 'c', p_client, 'o', p_origin);
        ${NOTIFY}
        return 'stored';
      end if;
      select a."clock" into v_clock from ${q('sync_awareness')} as a
        where a."document_id" = p_document and a."client_id" = p_client and a."expires_at" > v_now;
      if found then return 'stale'; end if;
      -- A new entry (or one replacing an expired entry) counts against the document's limit.
      perform pg_advisory_xact_lock(hashtextextended(p_lock_key, 0));
      if (select count(*) from ${q('sync_awareness')} as a
          where a."document_id" = p_document and a."expires_at" > v_now and a."client_id" <> p_client) >= p_max_entries then
        return 'limit';
      end if;
      insert into ${q('sync_awareness')} as entry
          ("document_id", "client_id", "connection_id", "state", "clock", "updated_at", "expires_at")
        values (p_document, p_client, p_connection, p_state, p_clock, v_now, v_expires)
        on conflict ("document_id", "client_id") do update
        set "connection_id" = excluded."connection_id", "state" = excluded."state", "clock" = excluded."clock",
            "updated_at" = excluded."updated_at", "expires_at" = excluded."expires_at"
        where entry."expires_at" <= excluded."updated_at" or entry."clock" < excluded."clock";
      if not found then return 'stale'; end if;
      v_change := jsonb_build_object('d', p_document, 'k', 'awareness', 'c', p_client, 'o', p_origin);
      ${NOTIFY}
      return 'stored';
    end
    $fn$`;
}
