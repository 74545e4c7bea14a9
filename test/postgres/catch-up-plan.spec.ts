import type { StorageProvider } from '../../src/index.js';
import { catchUpStatement, inSeqOrderStatement } from '../../src/storage/postgres/sql/catch-up.sql.js';
import type { SqlStatement } from '../../src/storage/postgres/sql/sql-fragments.js';
import { qualifiedTables } from '../../src/storage/postgres/storage-tables.js';
import { createTestDatabase, uniqueName, type TestDatabase } from '../support/postgres.js';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Loops'?: number;
  Plans?: PlanNode[];
}

const CLIENTS = ['a', 'b', 'c', 'd'];
const PER_CLIENT = 5_000;
const DOCUMENT_CLOCK = Object.fromEntries(CLIENTS.map((client) => [client, PER_CLIENT]));

let database: TestDatabase;
let provider: StorageProvider;
const schema = uniqueName('plan');

beforeAll(async () => {
  database = await createTestDatabase();
  provider = await database.createProvider({ schema });
  // 20,000 deltas in one document (4 authors, interleaved), loaded in SQL to keep the set-up fast.
  await database.query(
    `insert into "${schema}".sync_documents (id, vector_clock, next_seq, created_at, updated_at)
     values ('big', $1::jsonb, $2, now(), now())`,
    [JSON.stringify(DOCUMENT_CLOCK), CLIENTS.length * PER_CLIENT],
  );
  await database.query(
    `insert into "${schema}".sync_deltas (document_id, seq, id, client_id, counter, "timestamp", data, vector_clock)
     select 'big', n, 'd' || n, client, counter, 0, '{}', jsonb_build_object(client, counter)
     from (select n, ($1::text[])[n % 4 + 1] as client, n / 4 + 1 as counter from generate_series(0, $2 - 1) as n) as rows`,
    [CLIENTS, CLIENTS.length * PER_CLIENT],
  );
  // A few small documents beside it, as in a real table.
  await database.query(
    `insert into "${schema}".sync_documents (id, vector_clock, next_seq, created_at, updated_at)
     select 'small' || n, '{"a":3}', 3, now(), now() from generate_series(1, 200) as n`,
  );
  await database.query(
    `insert into "${schema}".sync_deltas (document_id, seq, id, client_id, counter, "timestamp", data, vector_clock)
     select 'small' || n, c - 1, 'd' || c, 'a', c, 0, '{}', jsonb_build_object('a', c)
     from generate_series(1, 200) as n cross join generate_series(1, 3) as c`,
  );
  await database.query(`analyze "${schema}".sync_documents, "${schema}".sync_deltas`);
});

afterAll(async () => {
  await database.drop();
});

/** The plan of a driver statement, with its `?` parameters bound as $1, $2, ... */
async function plan(statement: SqlStatement, analyze = false): Promise<PlanNode> {
  let index = 0;
  const sql = statement.sql.replace(/\?/g, () => `$${++index}`);
  const [row] = await database.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(
    `explain (format json${analyze ? ', analyze' : ''}) ${sql}`,
    statement.params,
  );
  return row!['QUERY PLAN'][0]!.Plan;
}

function nodes(root: PlanNode): PlanNode[] {
  return [root, ...(root.Plans ?? []).flatMap(nodes)];
}

const deltaScans = (root: PlanNode): PlanNode[] =>
  nodes(root).filter((node) => node['Relation Name'] === 'sync_deltas');

describe('catch-up on a document of 20,000 deltas', () => {
  const behind = { a: PER_CLIENT - 4, b: PER_CLIENT, c: PER_CLIENT - 6, d: PER_CLIENT };

  it('returns exactly the unseen deltas, in the order they were added', async () => {
    const unseen = await provider.documents.getDeltasSince('big', behind);
    const expected: string[] = [];
    for (let n = 0; n < CLIENTS.length * PER_CLIENT; n++) {
      const client = CLIENTS[n % 4]!;
      const counter = Math.floor(n / 4) + 1;
      if (counter > behind[client as keyof typeof behind]) expected.push(`d${n}`);
    }
    expect(unseen.map((delta) => delta.id)).toEqual(expected);
    expect(expected).toHaveLength(10);
  });

  it('reads the deltas through the (document, client, counter) index, never a sequential scan', async () => {
    const root = await plan(catchUpStatement(qualifiedTables(schema), 'big', behind));
    const scans = deltaScans(root);
    expect(scans.length).toBeGreaterThan(0);
    expect(scans.map((scan) => scan['Node Type'])).not.toContain('Seq Scan');
    expect(scans.map((scan) => scan['Index Name'])).toContain('sync_deltas_document_id_client_id_counter_index');
  });

  it('answers an up-to-date client from the document row without touching the deltas', async () => {
    const root = await plan(catchUpStatement(qualifiedTables(schema), 'big', DOCUMENT_CLOCK), true);
    const scans = deltaScans(root);
    expect(scans.length).toBeGreaterThan(0);
    expect(scans.map((scan) => scan['Actual Loops'])).toEqual(scans.map(() => 0));
    expect(await provider.documents.getDeltasSince('big', DOCUMENT_CLOCK)).toEqual([]);
  });

  it('pages a large catch-up by seq through the primary key, never a sequential scan', async () => {
    const root = await plan(
      inSeqOrderStatement(qualifiedTables(schema), 'big', { a: 10 }, { afterSeq: 1000, limit: 500 }),
    );
    const scans = deltaScans(root);
    expect(scans.map((scan) => scan['Node Type'])).not.toContain('Seq Scan');
    expect(scans.map((scan) => scan['Index Name'])).toContain('sync_deltas_pkey');
  });
});
