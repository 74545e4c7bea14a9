/**
 * Measures the postgres driver next to the same operations written by hand with plain `pg`, in one
 * run, on one server and database. Not part of the test suite (jest only picks up *.spec.ts):
 *
 *   npm test -- --testMatch '<rootDir>/test/postgres/*.measure.ts'
 *
 * It prints figures and asserts nothing about time.
 */
import pg from 'pg';
import type { StorageProvider, VectorClock } from '../../src/index.js';
import { catchUpStatement } from '../../src/storage/postgres/sql/catch-up.sql.js';
import { qualifiedTables } from '../../src/storage/postgres/storage-tables.js';
import { makeDelta } from '../conformance/conformance-helpers.js';
import { createTestDatabase, uniqueName, type TestDatabase } from '../support/postgres.js';

const WRITES = 2_000;
const HISTORY = 100_000;
const CATCH_UPS = 300;

let database: TestDatabase;
let provider: StorageProvider;
let client: pg.Client;
let driverSchema: string;
let handSchema: string;

beforeAll(async () => {
  database = await createTestDatabase();
  driverSchema = uniqueName('driver');
  handSchema = uniqueName('hand');
  provider = await database.createProvider({ schema: driverSchema });
  // The hand-written side gets the same tables (the driver's migration) in a schema of its own.
  await (await database.createProvider({ schema: handSchema })).close();
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
}, 120_000);

afterAll(async () => {
  await client?.end();
  await database?.drop();
});

/** addDelta by hand: lock-or-create the row, insert-if-new, merge the clock in SQL, in one transaction. */
async function handAddDelta(documentId: string, delta: ReturnType<typeof makeDelta>): Promise<boolean> {
  const t = qualifiedTables(handSchema);
  await client.query('begin');
  try {
    await client.query(
      `insert into ${t.documents} as doc (id, created_at, updated_at) values ($1, now(), now())
       on conflict (id) do update set next_seq = doc.next_seq where false`,
      [documentId],
    );
    const result = await client.query(
      `with inserted as (
         insert into ${t.deltas} (document_id, seq, id, client_id, counter, "timestamp", data, vector_clock)
         select doc.id, doc.next_seq, $2, $3, $4, $5, $6, $7::jsonb from ${t.documents} as doc
         left join ${t.snapshots} as snapshot on snapshot.document_id = doc.id
         where doc.id = $1 and $4 > coalesce((snapshot.vector_clock ->> $3)::bigint, 0)
         on conflict (document_id, id) do nothing
         returning vector_clock)
       update ${t.documents} set next_seq = next_seq + 1, updated_at = greatest(now(), updated_at + interval '1 millisecond'),
         vector_clock = (select jsonb_object_agg(key, counter) from (
           select key, max(value::bigint) as counter from (
             select * from jsonb_each_text(${t.documents}.vector_clock)
             union all select * from jsonb_each_text((select vector_clock from inserted))) as entries
           group by key) as merged)
       where id = $1 and exists (select 1 from inserted)`,
      [
        documentId,
        delta.id,
        delta.clientId,
        delta.vectorClock[delta.clientId],
        delta.timestamp,
        JSON.stringify(delta.data),
        JSON.stringify(delta.vectorClock),
      ],
    );
    await client.query('commit');
    return result.rowCount === 1;
  } catch (error) {
    await client.query('rollback');
    throw error;
  }
}

/** The driver's catch-up query, sent by hand with bind parameters. */
async function handCatchUp(documentId: string, since: VectorClock): Promise<number> {
  const { sql, params } = catchUpStatement(qualifiedTables(handSchema), documentId, since);
  let index = 0;
  const result = await client.query(
    sql.replace(/\?/g, () => `$${++index}`),
    params,
  );
  return result.rows.length;
}

async function loadHistory(schema: string): Promise<void> {
  const clock = { a: HISTORY / 4, b: HISTORY / 4, c: HISTORY / 4, d: HISTORY / 4 };
  await database.query(
    `insert into "${schema}".sync_documents (id, vector_clock, next_seq, created_at, updated_at) values ('big', $1::jsonb, $2, now(), now())`,
    [JSON.stringify(clock), HISTORY],
  );
  await database.query(
    `insert into "${schema}".sync_deltas (document_id, seq, id, client_id, counter, "timestamp", data, vector_clock)
     select 'big', n, 'h' || n, client, counter, 1700000000000 + n, '{"op":"insert","text":"hello"}',
            jsonb_build_object('a', least(counter, $2::int), client, counter)
     from (select n, (array['a','b','c','d'])[n % 4 + 1] as client, n / 4 + 1 as counter
           from generate_series(0, $1 - 1) as n) as rows`,
    [HISTORY, HISTORY / 4],
  );
  await database.query(`analyze "${schema}".sync_documents, "${schema}".sync_deltas`);
}

function summary(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return `median ${at(0.5).toFixed(3)} ms, p95 ${at(0.95).toFixed(3)} ms`;
}

test('sequential addDelta and catch-up of 10 new deltas on a 100,000-delta document, driver next to plain pg', async () => {
  const lines: string[] = [];
  // Warm both paths (connections, plans), then alternate rounds so machine noise hits both alike.
  for (let i = 0; i < 100; i++) {
    await provider.documents.addDelta('warm', makeDelta(`w${i}`, 'w', i + 1));
    await handAddDelta('warm', makeDelta(`w${i}`, 'w', i + 1));
  }
  // One driver write, then one by hand, and so on: noise from other work on the machine falls on both.
  const writeTimes = { driver: [] as number[], pg: [] as number[] };
  const totals = { driver: 0, pg: 0 };
  for (let n = 1; n <= WRITES; n++) {
    const delta = makeDelta(`d${n}`, 'writer', n, { clock: { other: 3 } });
    let started = performance.now();
    await provider.documents.addDelta('writes', delta);
    writeTimes.driver.push(performance.now() - started);
    started = performance.now();
    await handAddDelta('writes', delta);
    writeTimes.pg.push(performance.now() - started);
  }
  totals.driver = writeTimes.driver.reduce((a, b) => a + b, 0);
  totals.pg = writeTimes.pg.reduce((a, b) => a + b, 0);
  lines.push(
    `sequential addDelta, ${WRITES} each on one document: ` +
      `driver ${((WRITES / totals.driver) * 1000).toFixed(0)}/s (${summary(writeTimes.driver)}), ` +
      `plain pg ${((WRITES / totals.pg) * 1000).toFixed(0)}/s (${summary(writeTimes.pg)})`,
  );

  await loadHistory(driverSchema);
  await loadHistory(handSchema);
  const since = await provider.documents.getVectorClock('big');
  for (let i = 1; i <= 10; i++) {
    const delta = makeDelta(`new${i}`, i % 2 ? 'a' : 'e', HISTORY / 4 + i);
    await provider.documents.addDelta('big', delta);
    await handAddDelta('big', delta);
  }
  const driverTimes: number[] = [];
  const pgTimes: number[] = [];
  for (let i = 0; i < CATCH_UPS; i++) {
    let started = performance.now();
    const unseen = await provider.documents.getDeltasSince('big', since);
    driverTimes.push(performance.now() - started);
    started = performance.now();
    const handCount = await handCatchUp('big', since);
    pgTimes.push(performance.now() - started);
    if (unseen.length !== 10 || handCount !== 10)
      throw new Error(`catch-up returned ${unseen.length} / ${handCount} deltas`);
  }
  lines.push(
    `catch-up, 10 new on ${HISTORY}: driver ${summary(driverTimes)}; plain pg ${summary(pgTimes)} (${CATCH_UPS} each)`,
  );
  console.log(lines.join('\n'));
}, 600_000);
