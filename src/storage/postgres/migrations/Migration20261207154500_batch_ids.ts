import { Migration } from '@mikro-orm/migrations';
import { DEFAULT_SCHEMA, quoteIdentifier } from '../storage-tables.js';
import { Migration20261207120000_document_versions } from './Migration20261207120000_document_versions.js';

/** `sync_add_deltas`'s arguments, which this migration keeps. */
const ADD_DELTAS_ARGUMENTS = `text, bigint, integer[], text[], text[], bigint[], bigint[], jsonb, bytea, integer[],
  boolean[], integer, bigint`;

/** The parts of `sync_add_deltas` (as Migration20261207120000_document_versions made it) this migration replaces. */
const REPLACED: [string, string][] = [
  [
    `      v_position bigint;
    begin`,
    `      v_position bigint;
      v_ids text[];
    begin`,
  ],
  [
    `                 'ids', (select coalesce(jsonb_agg(a."id" order by a."seq"), '[]') from accepted as a
                         where a."call" = calls."call"),
`,
    '',
  ],
  [
    `               (select l."version" from logged as l), (select l."position" from logged as l)
        into v_results, v_stored, v_version, v_position`,
    `               (select l."version" from logged as l), (select l."position" from logged as l),
               -- The stored ids in one text[], by call then seq, each call's slice read below.
               (select coalesce(array_agg(a."id" order by a."call", a."seq"), '{}') from accepted as a)
        into v_results, v_stored, v_version, v_position, v_ids`,
  ],
  [
    `               array(select jsonb_array_elements_text(r."ids"))
        from jsonb_to_recordset(v_results) as r("call" integer, "added" integer, "ids" jsonb, "conflict" text, "existing" text);`,
    `               coalesce(v_ids[r."first" : r."first" + r."added" - 1], '{}')
        from (select called.*, 1 + coalesce(sum(called."added") over (order by called."call"
                rows between unbounded preceding and 1 preceding), 0)::integer as "first"
              from jsonb_to_recordset(v_results) as called("call" integer, "added" integer, "conflict" text, "existing" text)
             ) as r;`,
  ],
];

/**
 * `sync_add_deltas` answered each call's stored ids inside one jsonb built with `jsonb_agg`, which PostgreSQL
 * builds in time quadratic in the bytes of the arrays it nests: a legal batch of 10,000 deltas with
 * 200-character ids spent 7-12 s there, holding the document's lock (0.5 s with 10-character ids). The ids now
 * travel as one `text[]` (by call, then seq), each call answered its slice; everything else is the function of
 * Migration20261207120000_document_versions, read from it and changed only in the parts above.
 *
 * Names are written out: this migration must keep doing what it did when shipped.
 */
export class Migration20261207154500_batch_ids extends Migration {
  override up(): void {
    const q = this.qualify();
    this.addSql(`drop function ${q('sync_add_deltas')}(${ADD_DELTAS_ARGUMENTS})`);
    let sql = this.shippedAddDeltas();
    for (const [before, after] of REPLACED) {
      if (sql.split(before).length !== 2)
        throw new Error('sync_add_deltas is not the function this migration replaces');
      sql = sql.replace(before, after);
    }
    this.addSql(sql);
  }

  /** Down restores the function as Migration20261207120000_document_versions made it. */
  override down(): void {
    const q = this.qualify();
    this.addSql(`drop function ${q('sync_add_deltas')}(${ADD_DELTAS_ARGUMENTS})`);
    this.addSql(this.shippedAddDeltas());
  }

  private qualify(): (name: string) => string {
    const schema = quoteIdentifier(this.config.get('schema') ?? DEFAULT_SCHEMA);
    return (name) => `${schema}.${quoteIdentifier(name)}`;
  }

  private shippedAddDeltas(): string {
    const versions = new Migration20261207120000_document_versions(this.driver, this.config);
    versions.up();
    const start = `create function ${this.qualify()('sync_add_deltas')}(`;
    const [sql] = versions
      .getQueries()
      .map(String)
      .filter((each) => each.trimStart().startsWith(start));
    return sql!;
  }
}
