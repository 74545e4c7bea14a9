import { Migration } from '@mikro-orm/migrations';
import { DEFAULT_SCHEMA, quoteIdentifier } from '../storage-tables.js';

/**
 * Lighter writes, same rules:
 * - `sync_add_delta`: the write of one `addDelta` call that had no company in the write queue (the usual
 *   case), in two short statements instead of the group function's one large one; same answer row as
 *   `sync_add_deltas`, at about 1.6 times its rate for one delta (see docs/BENCHMARKS.md);
 * - `sync_add_deltas` again, finding a batch's repeated events in one window pass instead of one scan of the
 *   batch per delta: a batch of 10,000 deltas took 10 s under the document lock.
 *
 * Names are written out: this migration must keep doing what it did when shipped.
 */
export class Migration20261130120000_lighter_writes extends Migration {
  override up(): void {
    const schema = quoteIdentifier(this.config.get('schema') ?? DEFAULT_SCHEMA);
    const q = (name: string): string => `${schema}.${quoteIdentifier(name)}`;
    this.addSql(`create function ${q('sync_add_delta')}(
      p_document text, p_now_ms bigint, p_id text, p_client text, p_counter bigint, p_timestamp bigint,
      p_clock jsonb, p_data text, p_data_bytes bytea, p_channel text, p_origin text)
    returns table (out_call integer, out_added integer, out_conflict_id text, out_existing_id text)
    language plpgsql
    set plan_cache_mode = 'force_generic_plan'
    as $fn$
    declare
      v_seq bigint;
      v_added integer;
      v_existing text;
    begin
      -- The document lock, and the delta's place in commit order, in one statement. A no-op leaves a gap in
      -- seq, which only orders deltas.
      update ${q('sync_documents')} as doc set "next_seq" = doc."next_seq" + 1
        where doc."id" = p_document returning doc."next_seq" - 1 into v_seq;
      if not found then
        insert into ${q('sync_documents')} as doc ("id", "next_seq", "created_at", "updated_at")
          values (p_document, 0, ${NOW}, ${NOW})
          on conflict ("id") do update set "next_seq" = doc."next_seq" where false;
        update ${q('sync_documents')} as doc set "next_seq" = doc."next_seq" + 1
          where doc."id" = p_document returning doc."next_seq" - 1 into v_seq;
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
        set "updated_at" = greatest(${NOW}, doc."updated_at" + interval '1 millisecond')
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
    $fn$`);
    this.addSql(addDeltasFunction(q));
  }

  // Down drops the one-delta function; the group function keeps its window pass, which has the same rules.
  override down(): void {
    const schema = quoteIdentifier(this.config.get('schema') ?? DEFAULT_SCHEMA);
    this.addSql(`drop function if exists ${schema}.${quoteIdentifier('sync_add_delta')}`);
  }
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
function addDeltasFunction(q: (name: string) => string): string {
  return `create or replace function ${q('sync_add_deltas')}(
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
