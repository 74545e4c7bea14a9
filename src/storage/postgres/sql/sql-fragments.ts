/**
 * What every statement of the driver is made of. Values always travel as bound parameters (knex turns each
 * `?` into `$n`); times are written from the application clock as whole milliseconds and read back the same way.
 */

/** One statement: a name (for tests and traces), SQL with `?` placeholders, and its parameters in order. */
export interface SqlStatement {
  readonly name: string;
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** Where a write announces itself: the NOTIFY channel of the schema and this provider's origin id. */
export interface FeedTarget {
  readonly channel: string;
  readonly origin: string;
}

/** A `timestamptz` from a `?` parameter holding Unix ms. */
export const MS_TO_TIMESTAMP = `(timestamptz 'epoch' + ?::bigint * interval '1 millisecond')`;

/** Unix ms (int8, read back as a string) of a `timestamptz` column. */
export function timestampToMs(column: string): string {
  return `(extract(epoch from ${column}) * 1000)::int8`;
}

/** A document's clock as one jsonb object, from its rows in the clocks table (costs its number of authors). */
export function documentClockSql(clocksTable: string, documentIdSql: string): string {
  return `(select coalesce(jsonb_object_agg(c.client_id, c.counter), '{}'::jsonb)
    from ${clocksTable} as c where c.document_id = ${documentIdSql})`;
}

/** `Buffer` view of bytes (pg sends a Buffer as a binary parameter); no copy. */
export function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
