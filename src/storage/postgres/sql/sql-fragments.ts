/**
 * Small SQL expressions shared by the driver's statements. Times are written from the application
 * clock as whole milliseconds (exact integer arithmetic, no float rounding) and read back the same way.
 */

/** SQL with `?` placeholders and its parameters in the order they appear. */
export interface SqlStatement {
  sql: string;
  params: unknown[];
}

/** A `timestamptz` from a `?` parameter holding Unix ms. */
export const MS_TO_TIMESTAMP = `(timestamptz 'epoch' + ?::bigint * interval '1 millisecond')`;

/** Unix ms (int8, read back as a string) of a `timestamptz` column. */
export function timestampToMs(column: string): string {
  return `(extract(epoch from ${column}) * 1000)::int8`;
}

/** `updated_at` moves strictly on every change, even twice in one millisecond; takes the now-ms `?`. */
export const TOUCHED_UPDATED_AT = `greatest(${MS_TO_TIMESTAMP}, "updated_at" + interval '1 millisecond')`;

/**
 * The pointwise maximum of the jsonb clocks in column `clock` of `clocksQuery` (the clock merge,
 * done in SQL on the locked row so concurrent writers never overwrite each other's counters).
 */
export function mergedClocksSql(clocksQuery: string): string {
  return `(select coalesce(jsonb_object_agg(merged.key, merged.counter), '{}'::jsonb)
    from (select entry.key, max(entry.value::bigint) as counter
          from (${clocksQuery}) as clocks cross join lateral jsonb_each_text(clocks.clock) as entry
          group by entry.key) as merged)`;
}
