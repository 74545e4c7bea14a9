import { Migration } from '@mikro-orm/migrations';
import { DEFAULT_SCHEMA, quoteIdentifier } from '../storage-tables.js';

/**
 * Whether each author stored its deltas in counter order (issue 23, finding 6). The first page of a catch-up
 * with `since` reads, per author, its first unseen deltas by counter, through the (document, client, counter)
 * index, and merges them by seq: only right when the author's counter order is its storage order. So
 * `sync_document_clocks.out_of_order` is set once an author stores a delta whose counter is below one it
 * stored before; catch-up reads such an author's unseen deltas whole, as before. It is never cleared
 * (compaction may remove the deltas that made it true: the author then costs what it did before).
 * - set for the stored data here, by one pass over `sync_deltas`;
 * - kept by a statement-level trigger on inserts into `sync_deltas`, so every function that stores deltas keeps
 *   it without being replaced. Per statement, it costs one index range per author the statement wrote to
 *   (the counters above its smallest new one, which are its own rows when in order).
 *
 * Names are written out: this migration must keep doing what it did when shipped.
 */
export class Migration20261207150000_author_order extends Migration {
  override up(): void {
    const schema = quoteIdentifier(this.config.get('schema') ?? DEFAULT_SCHEMA);
    const q = (name: string): string => `${schema}.${quoteIdentifier(name)}`;
    this.addSql(`alter table ${q('sync_document_clocks')} add column "out_of_order" boolean not null default false`);
    this.addSql(`update ${q('sync_document_clocks')} as c set "out_of_order" = true
      from (
        select distinct w."document_id", w."client_id"
        from (
          select x."document_id", x."client_id", x."counter" < max(x."counter") over (
              partition by x."document_id", x."client_id" order by x."seq"
              rows between unbounded preceding and 1 preceding) as "behind"
          from ${q('sync_deltas')} as x
        ) as w
        where w."behind"
      ) as o
      where c."document_id" = o."document_id" and c."client_id" = o."client_id"`);
    this.addSql(`create function ${q('sync_note_author_order')}()
      returns trigger
      language plpgsql
      as $fn$
      begin
        -- The new rows of each author, in seq order: behind when below one before them in this statement, or
        -- below one stored earlier (their seqs are all above what was stored: seq follows commit order).
        with fresh as (
          select n."document_id", n."client_id", n."counter",
            max(n."counter") over (partition by n."document_id", n."client_id" order by n."seq"
                                  rows between unbounded preceding and 1 preceding) as "before",
            min(n."counter") over (partition by n."document_id", n."client_id") as "least",
            min(n."seq") over (partition by n."document_id", n."client_id") as "first_seq"
          from inserted as n
        ),
        behind as (
          select distinct f."document_id", f."client_id" from fresh as f
          where f."counter" < f."before"
             or (f."counter" = f."least" and exists (
               select 1 from ${q('sync_deltas')} as x
               where x."document_id" = f."document_id" and x."client_id" = f."client_id"
                 and x."counter" > f."least" and x."seq" < f."first_seq"))
        )
        update ${q('sync_document_clocks')} as c set "out_of_order" = true
        from behind as b
        where c."document_id" = b."document_id" and c."client_id" = b."client_id" and not c."out_of_order";
        return null;
      end
      $fn$`);
    this.addSql(`create trigger "sync_deltas_author_order" after insert on ${q('sync_deltas')}
      referencing new table as inserted
      for each statement execute function ${q('sync_note_author_order')}()`);
  }

  override down(): void {
    const schema = quoteIdentifier(this.config.get('schema') ?? DEFAULT_SCHEMA);
    const q = (name: string): string => `${schema}.${quoteIdentifier(name)}`;
    this.addSql(`drop trigger "sync_deltas_author_order" on ${q('sync_deltas')}`);
    this.addSql(`drop function ${q('sync_note_author_order')}()`);
    this.addSql(`alter table ${q('sync_document_clocks')} drop column "out_of_order"`);
  }
}
