import { Migration } from '@mikro-orm/migrations';
import { DEFAULT_SCHEMA, quoteIdentifier } from '../storage-tables.js';

/**
 * `sync_add_delta`: the write of one `addDelta` call that had no company in the write queue (the usual case),
 * in two short statements instead of the general group function's one large one. Same rules, same answer row
 * as `sync_add_deltas`; measured at about 1.8 times its rate for one delta (see docs/BENCHMARKS.md).
 *
 * Names are written out: this migration must keep doing what it did when shipped.
 */
export class Migration20261130120000_single_delta_write extends Migration {
  override up(): void {
    const schema = quoteIdentifier(this.config.get('schema') ?? DEFAULT_SCHEMA);
    const q = (name: string): string => `${schema}.${quoteIdentifier(name)}`;
    const now = `(timestamptz 'epoch' + p_now_ms * interval '1 millisecond')`;
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
          values (p_document, 0, ${now}, ${now})
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
        set "updated_at" = greatest(${now}, doc."updated_at" + interval '1 millisecond')
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
  }

  override down(): void {
    const schema = quoteIdentifier(this.config.get('schema') ?? DEFAULT_SCHEMA);
    this.addSql(`drop function if exists ${schema}.${quoteIdentifier('sync_add_delta')}`);
  }
}
