import pg from 'pg';
import type { StoredDelta } from '../../src/index.js';

/**
 * The postgres driver's table layout (its first migration), written out by hand so the floor runs on
 * the same tables, keys and indexes in a database of its own.
 */
export const SCHEMA = [
  `create table sync_documents (
    id text collate "C" not null,
    vector_clock jsonb not null default '{}',
    next_seq bigint not null default 0,
    created_at timestamptz(3) not null,
    updated_at timestamptz(3) not null,
    constraint sync_documents_pkey primary key (id))`,
  `create table sync_deltas (
    document_id text collate "C" not null,
    seq bigint not null,
    id text collate "C" not null,
    client_id text collate "C" not null,
    counter bigint not null,
    "timestamp" bigint not null,
    data text not null,
    vector_clock jsonb not null,
    constraint sync_deltas_pkey primary key (document_id, seq),
    constraint sync_deltas_document_id_id_unique unique (document_id, id),
    constraint sync_deltas_document_id_foreign foreign key (document_id)
      references sync_documents (id) on update cascade on delete cascade)`,
  `create index sync_deltas_document_id_client_id_counter_index on sync_deltas (document_id, client_id, counter)`,
  `create table sync_snapshots (
    document_id text collate "C" not null,
    data bytea not null,
    vector_clock jsonb not null,
    created_at timestamptz(3) not null,
    constraint sync_snapshots_pkey primary key (document_id),
    constraint sync_snapshots_document_id_foreign foreign key (document_id)
      references sync_documents (id) on update cascade on delete cascade)`,
  `create table sync_awareness (
    document_id text collate "C" not null,
    client_id text collate "C" not null,
    connection_id text collate "C" null,
    state text not null,
    clock bigint not null,
    updated_at timestamptz(3) not null,
    expires_at timestamptz(3) not null,
    constraint sync_awareness_pkey primary key (document_id, client_id))`,
  `create index sync_awareness_connection_id_index on sync_awareness (connection_id)`,
  `create index sync_awareness_expires_at_index on sync_awareness (expires_at)`,
];

/**
 * Creates the document row or locks it (as the driver does: `where false` takes the lock on an
 * existing row without writing a new version of it).
 */
export const LOCK_DOCUMENT = `insert into sync_documents as doc (id, created_at, updated_at) values ($1, now(), now())
  on conflict (id) do update set next_seq = doc.next_seq where false`;

export const literal = (value: string): string => pg.escapeLiteral(value);

/** The pointwise maximum of the jsonb clocks in column `clock` of a query. */
const mergedClocks = (
  clocksQuery: string,
): string => `(select coalesce(jsonb_object_agg(merged.key, merged.counter), '{}'::jsonb)
  from (select entry.key, max(entry.value::bigint) as counter
        from (${clocksQuery}) as clocks cross join lateral jsonb_each_text(clocks.clock) as entry
        group by entry.key) as merged)`;

/**
 * Insert-if-new (skipping what the snapshot covers, which compaction may have removed), sequence
 * numbers from the locked row, and the clock merge in SQL on that row: one statement, after the lock.
 * Values are literals: the lock and this statement go in one simple query (one round trip, one
 * implicit transaction), which cannot carry bound parameters.
 */
export function insertDeltasSql(documentId: string, deltas: readonly StoredDelta[]): string {
  const rows = deltas.map(
    (delta, ord) =>
      `(${ord}, ${literal(delta.id)}, ${literal(delta.clientId)}, ${delta.vectorClock[delta.clientId]!}::bigint, ` +
      `${delta.timestamp}::bigint, ${literal(JSON.stringify(delta.data))}, ${literal(JSON.stringify(delta.vectorClock))}::jsonb)`,
  );
  return `with incoming (ord, id, client_id, counter, "timestamp", data, vector_clock) as (values ${rows.join(', ')}),
  inserted as (
    insert into sync_deltas (document_id, seq, id, client_id, counter, "timestamp", data, vector_clock)
    select doc.id, doc.next_seq + incoming.ord, incoming.id, incoming.client_id, incoming.counter, incoming."timestamp",
           incoming.data, incoming.vector_clock
    from incoming
    cross join sync_documents as doc
    left join sync_snapshots as snap on snap.document_id = doc.id
    where doc.id = ${literal(documentId)}
      and incoming.counter > coalesce((snap.vector_clock ->> incoming.client_id)::bigint, 0)
    on conflict (document_id, id) do nothing
    returning seq, vector_clock)
  update sync_documents as doc
  set next_seq = (select max(seq) + 1 from inserted),
      vector_clock = ${mergedClocks('select doc.vector_clock as clock union all select vector_clock from inserted')},
      updated_at = now()
  where doc.id = ${literal(documentId)} and exists (select 1 from inserted)
  returning (select count(*) from inserted)::int as inserted`;
}

/**
 * Catch-up by author: an index range per client whose counter is ahead of `since`, with the driver's
 * `offset 0` fence that keeps the planner from turning the per-author ranges into one scan.
 */
export const CATCH_UP = `select unseen.id, unseen.client_id, unseen."timestamp", unseen.data, unseen.vector_clock
  from (select $2::jsonb as clock) as since
  cross join sync_documents as doc
  cross join lateral jsonb_each_text(doc.vector_clock) as author(client_id, counter)
  cross join lateral (
    select x.seq, x.id, x.client_id, x."timestamp", x.data, x.vector_clock
    from sync_deltas as x
    where x.document_id = doc.id and x.client_id = author.client_id
      and x.counter > coalesce((since.clock ->> author.client_id)::bigint, 0)
    offset 0) as unseen
  where doc.id = $1 and author.counter::bigint > coalesce((since.clock ->> author.client_id)::bigint, 0)
  order by unseen.seq`;

export const DOCUMENT_WITH_SNAPSHOT = `select doc.vector_clock, snap.data, snap.vector_clock as snapshot_clock, snap.created_at
  from sync_documents as doc left join sync_snapshots as snap on snap.document_id = doc.id
  where doc.id = $1`;

/** Deletes, per author of `upTo`, up to the smaller of its counter and the snapshot's (the driver's DELETE). */
export const COMPACT = `with bound as (
    select entry.key as client_id, least(entry.value::bigint, (snap.vector_clock ->> entry.key)::bigint) as counter
    from sync_snapshots as snap cross join lateral jsonb_each_text($2::jsonb) as entry
    where snap.document_id = $1 and (snap.vector_clock ->> entry.key) is not null),
  removed as (
    delete from sync_deltas as x using bound
    where x.document_id = $1 and x.client_id = bound.client_id and x.counter <= bound.counter
    returning 1)
  select count(*)::int as removed from removed`;

export const SAVE_SNAPSHOT = `with saved as (
    insert into sync_snapshots (document_id, data, vector_clock, created_at) values ($1, $2, $3, now())
    on conflict (document_id) do update
      set data = excluded.data, vector_clock = excluded.vector_clock, created_at = excluded.created_at
    returning vector_clock)
  update sync_documents as doc
  set vector_clock = ${mergedClocks('select doc.vector_clock as clock union all select vector_clock from saved')},
      updated_at = now()
  where doc.id = $1`;

export const SET_AWARENESS = `insert into sync_awareness as a (document_id, client_id, connection_id, state, clock, updated_at, expires_at)
  values ($1, $2, null, $3, $4, now(), now() + $5::bigint * interval '1 millisecond')
  on conflict (document_id, client_id) do update
    set connection_id = excluded.connection_id, state = excluded.state, clock = excluded.clock,
        updated_at = excluded.updated_at, expires_at = excluded.expires_at
    where a.expires_at <= now() or a.clock < excluded.clock
  returning 1`;

export const GET_ALL_AWARENESS = `select document_id, client_id, connection_id, state, clock, updated_at, expires_at
  from sync_awareness where document_id = $1 and expires_at > now() order by client_id`;
