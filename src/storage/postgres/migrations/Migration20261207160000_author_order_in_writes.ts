import { Migration } from '@mikro-orm/migrations';
import { DEFAULT_SCHEMA, quoteIdentifier } from '../storage-tables.js';
import { Migration20261207120000_document_versions } from './Migration20261207120000_document_versions.js';
import { Migration20261207154500_batch_ids } from './Migration20261207154500_batch_ids.js';

/** The arguments of the two functions this migration replaces, which it keeps. */
const ADD_DELTA_ARGUMENTS = `text, bigint, text, text, bigint, bigint, jsonb, text, bytea, integer, bigint`;
const ADD_DELTAS_ARGUMENTS = `text, bigint, integer[], text[], text[], bigint[], bigint[], jsonb, bytea, integer[],
  boolean[], integer, bigint`;

/** `sync_add_delta`'s parts (as Migration20261207120000_document_versions made it) this migration replaces. */
const ADD_DELTA_PARTS: [string, string][] = [
  [
    `        insert into CLOCKS as c ("document_id", "client_id", "counter", "stored_deltas")
        select p_document, entry.key, entry.value::bigint, (entry.key = p_client)::integer
        from jsonb_each_text(p_clock) as entry
        where exists (select 1 from inserted)
        on conflict ("document_id", "client_id") do update
          set "counter" = greatest(c."counter", excluded."counter"),
              "stored_deltas" = c."stored_deltas" + excluded."stored_deltas"`,
    `        insert into CLOCKS as c ("document_id", "client_id", "counter", "stored_deltas", "out_of_order")
        select p_document, entry.key, entry.value::bigint, (entry.key = p_client)::integer,
               -- Its author stored a later counter before: it reads that author's unseen deltas whole.
               entry.key = p_client and exists (select 1 from DELTAS as x
                 where x."document_id" = p_document and x."client_id" = p_client and x."counter" > p_counter)
        from jsonb_each_text(p_clock) as entry
        where exists (select 1 from inserted)
        on conflict ("document_id", "client_id") do update
          set "counter" = greatest(c."counter", excluded."counter"),
              "stored_deltas" = c."stored_deltas" + excluded."stored_deltas",
              "out_of_order" = c."out_of_order" or excluded."out_of_order"`,
  ],
];

/** `sync_add_deltas`'s parts (as Migration20261207154500_batch_ids made it) this migration replaces. */
const ADD_DELTAS_PARTS: [string, string][] = [
  [
    `          returning "client_id", "vector_clock"`,
    `          returning "client_id", "vector_clock", "counter", "seq"`,
  ],
  [
    `        keyed as (
          select entry.key, max(entry.value::bigint) as "counter",`,
    `        -- Authors stored out of counter order: below a counter before it in this call, or below one stored earlier.
        disordered as (
          select distinct o."client_id" from (
            select i."client_id", i."counter",
                   max(i."counter") over (partition by i."client_id" order by i."seq"
                                          rows between unbounded preceding and 1 preceding) as "before",
                   min(i."counter") over (partition by i."client_id") as "least"
            from inserted as i
          ) as o
          where o."counter" < o."before"
             or (o."counter" = o."least" and exists (select 1 from DELTAS as x
                   where x."document_id" = p_document and x."client_id" = o."client_id" and x."counter" > o."least"))
        ),
        keyed as (
          select entry.key, max(entry.value::bigint) as "counter",
                 entry.key in (select d."client_id" from disordered as d) as "disordered",`,
  ],
  [
    `          insert into CLOCKS as c ("document_id", "client_id", "counter", "stored_deltas")
          select p_document, k.key, k."counter", k."own" from keyed as k
          on conflict ("document_id", "client_id") do update
            set "counter" = greatest(c."counter", excluded."counter"),
                "stored_deltas" = c."stored_deltas" + excluded."stored_deltas"`,
    `          insert into CLOCKS as c ("document_id", "client_id", "counter", "stored_deltas", "out_of_order")
          select p_document, k.key, k."counter", k."own", k."disordered" from keyed as k
          on conflict ("document_id", "client_id") do update
            set "counter" = greatest(c."counter", excluded."counter"),
                "stored_deltas" = c."stored_deltas" + excluded."stored_deltas",
                "out_of_order" = c."out_of_order" or excluded."out_of_order"`,
  ],
];

/**
 * `sync_document_clocks.out_of_order` (Migration20261207150000_author_order) is kept by the two functions that
 * store deltas, in the clock upsert they already run: one index probe per author a call stores (is a later
 * counter of it stored already?) and, in a batch, a window over the call's own rows. A trigger did this before
 * this migration; MikroORM 7 reads triggers into its schema diff and would drop one its entities do not
 * declare, so an app's `schema:update` would have silently stopped the flag. Everything else is the functions
 * as the migrations named above left them, read from them and changed only in the parts above.
 *
 * Names are written out: this migration must keep doing what it did when shipped.
 */
export class Migration20261207160000_author_order_in_writes extends Migration {
  override up(): void {
    const q = this.qualify();
    this.addSql(`drop trigger "sync_deltas_author_order" on ${q('sync_deltas')}`);
    this.addSql(`drop function ${q('sync_note_author_order')}()`);
    this.addSql(`drop function ${q('sync_add_delta')}(${ADD_DELTA_ARGUMENTS})`);
    this.addSql(this.changed(this.shipped('sync_add_delta'), ADD_DELTA_PARTS));
    this.addSql(`drop function ${q('sync_add_deltas')}(${ADD_DELTAS_ARGUMENTS})`);
    this.addSql(this.changed(this.shipped('sync_add_deltas'), ADD_DELTAS_PARTS));
  }

  /** Down restores both functions; the flag then stays as it was last set (Migration20261207150000 drops it). */
  override down(): void {
    const q = this.qualify();
    this.addSql(`drop function ${q('sync_add_delta')}(${ADD_DELTA_ARGUMENTS})`);
    this.addSql(this.shipped('sync_add_delta'));
    this.addSql(`drop function ${q('sync_add_deltas')}(${ADD_DELTAS_ARGUMENTS})`);
    this.addSql(this.shipped('sync_add_deltas'));
  }

  private qualify(): (name: string) => string {
    const schema = quoteIdentifier(this.config.get('schema') ?? DEFAULT_SCHEMA);
    return (name) => `${schema}.${quoteIdentifier(name)}`;
  }

  private changed(sql: string, parts: readonly [string, string][]): string {
    const q = this.qualify();
    const named = (text: string) =>
      text.replaceAll('CLOCKS', q('sync_document_clocks')).replaceAll('DELTAS', q('sync_deltas'));
    for (const [before, after] of parts) {
      if (sql.split(named(before)).length !== 2)
        throw new Error('a storage function is not the one this migration replaces');
      sql = sql.replace(named(before), named(after));
    }
    return sql;
  }

  /** The function as the migration that last created it made it. */
  private shipped(name: 'sync_add_delta' | 'sync_add_deltas'): string {
    const source =
      name === 'sync_add_delta'
        ? new Migration20261207120000_document_versions(this.driver, this.config)
        : new Migration20261207154500_batch_ids(this.driver, this.config);
    source.up();
    const start = `create function ${this.qualify()(name)}(`;
    const [sql] = source
      .getQueries()
      .map(String)
      .filter((each) => each.trimStart().startsWith(start));
    return sql!;
  }
}
