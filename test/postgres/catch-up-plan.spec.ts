import type { StorageProvider } from '../../src/index.js';
import {
  catchUpStatement,
  firstPageStatement,
  unseenEstimateStatement,
  walkStatement,
} from '../../src/storage/postgres/sql/catch-up.sql.js';
import type { SqlStatement } from '../../src/storage/postgres/sql/sql-fragments.js';
import { qualifiedTables, type QualifiedTables } from '../../src/storage/postgres/storage-tables.js';
import { createTestDatabase, uniqueName, type TestDatabase } from '../support/postgres.js';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Loops'?: number;
  'Actual Rows'?: number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

/** 10,000 authors with two deltas each, interleaved: seq n is author n % AUTHORS, counter n / AUTHORS + 1. */
const AUTHORS = 10_000;
const PER_AUTHOR = 2;
const author = (n: number): string => `author-${String(n).padStart(5, '0')}`;
const FULL_CLOCK = Object.fromEntries(Array.from({ length: AUTHORS }, (_, i) => [author(i), PER_AUTHOR]));

let database: TestDatabase;
let provider: StorageProvider;
let tables: QualifiedTables;

/** Loads a document in SQL (much faster than through the driver): authors, their clock rows and deltas. */
async function loadDocument(schema: string, documentId: string, storedAuthors: number, clockOnlyAuthors: number) {
  const deltas = storedAuthors * PER_AUTHOR;
  await database.query(
    `insert into "${schema}".sync_documents (id, next_seq, created_at, updated_at) values ($1, $2, now(), now())`,
    [documentId, deltas],
  );
  await database.query(
    `insert into "${schema}".sync_document_clocks (document_id, client_id, counter, stored_deltas)
     select $1, 'author-' || lpad(n::text, 5, '0'), $2::bigint, case when n < $3::int then $2::bigint else 0 end
     from generate_series(0, $3::int + $4::int - 1) as n`,
    [documentId, PER_AUTHOR, storedAuthors, clockOnlyAuthors],
  );
  await database.query(
    `insert into "${schema}".sync_deltas (document_id, seq, id, client_id, counter, "timestamp", data, vector_clock)
     select $1, n, 'd' || n, client, counter, 0, '{}', jsonb_build_object(client, counter)
     from (select n, 'author-' || lpad((n % $2::int)::text, 5, '0') as client, n / $2::int + 1 as counter
           from generate_series(0, $3::int - 1) as n) as rows`,
    [documentId, storedAuthors, deltas],
  );
}

beforeAll(async () => {
  database = await createTestDatabase();
  const schema = uniqueName('plan');
  provider = await database.createProvider({ schema });
  tables = qualifiedTables(schema);
  await loadDocument(schema, 'big', AUTHORS, 0);
  // A document whose 10,000 older authors were compacted away: only 3 authors still have stored deltas.
  await loadDocument(schema, 'compacted', 3, AUTHORS);
  await database.query(`analyze "${schema}".sync_documents, "${schema}".sync_deltas, "${schema}".sync_document_clocks`);
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
    [...statement.params],
  );
  return row!['QUERY PLAN'][0]!.Plan;
}

const nodes = (root: PlanNode): PlanNode[] => [root, ...(root.Plans ?? []).flatMap(nodes)];
const scansOf = (root: PlanNode, table: string): PlanNode[] =>
  nodes(root).filter((node) => node['Relation Name'] === table);
const indexScans = (root: PlanNode, index: string): PlanNode[] =>
  nodes(root).filter((node) => node['Index Name'] === index);

/** The first page's statement as the driver chooses it, from the estimate it reads first. */
async function firstPage(since: Record<string, number>, limit: number, documentId = 'big'): Promise<SqlStatement> {
  const estimate = unseenEstimateStatement(tables, documentId, since, limit);
  let index = 0;
  const [row] = await database.query<{ stored: string; unseen: string; behind: string; by_author: string }>(
    estimate.sql.replace(/\?/g, () => `$${++index}`),
    [...estimate.params],
  );
  return firstPageStatement(tables, documentId, since, limit, {
    stored: Number(row!.stored),
    unseen: Number(row!.unseen),
    behind: Number(row!.behind),
    byAuthor: Number(row!.by_author),
  });
}

/** Rows of sync_deltas a plan read: those it returned and those its filters dropped, over every loop. */
const deltasRead = (root: PlanNode): number =>
  scansOf(root, 'sync_deltas').reduce(
    (sum, scan) => sum + (scan['Actual Rows']! + (scan['Rows Removed by Filter'] ?? 0)) * scan['Actual Loops']!,
    0,
  );

describe('catch-up on a document of 10,000 authors and 20,000 deltas', () => {
  /** A client that has seen everything but the last delta of three authors. */
  const behind = { ...FULL_CLOCK, [author(7)]: 1, [author(4242)]: 1, [author(9999)]: 1 };

  it('returns exactly the unseen deltas, in the order they were stored', async () => {
    const unseen = await provider.documents.getDeltasSince('big', behind);
    expect(unseen.map((delta) => delta.id)).toEqual([`d${AUTHORS + 7}`, `d${AUTHORS + 4242}`, `d${AUTHORS + 9999}`]);
  });

  it('reads the deltas through the (document, client, counter) index and never scans a table', async () => {
    const root = await plan(catchUpStatement(tables, 'big', behind));
    const all = nodes(root);
    expect(all.map((node) => node['Node Type'])).not.toContain('Seq Scan');
    expect(scansOf(root, 'sync_deltas').map((scan) => scan['Index Name'])).toEqual(['sync_deltas_event_unique']);
    // The authors come from the partial index of authors with stored deltas (a plain or a bitmap index scan).
    expect(indexScans(root, 'sync_document_clocks_authors_index')).toHaveLength(1);
  });

  it('probes the deltas of only the authors a client is behind on', async () => {
    const root = await plan(catchUpStatement(tables, 'big', behind), true);
    const [deltaScan] = scansOf(root, 'sync_deltas');
    expect(deltaScan!['Actual Loops']).toBe(3);
    expect(await provider.documents.getDeltasSince('big', FULL_CLOCK)).toEqual([]);
    const upToDate = await plan(catchUpStatement(tables, 'big', FULL_CLOCK), true);
    expect(scansOf(upToDate, 'sync_deltas')[0]!['Actual Loops']).toBe(0);
  });

  it('never visits the authors whose deltas are all compacted away', async () => {
    const root = await plan(catchUpStatement(tables, 'compacted', {}), true);
    const [authors] = indexScans(root, 'sync_document_clocks_authors_index');
    expect(authors!['Actual Rows']).toBe(3);
    expect(await provider.documents.getDeltasSince('compacted', {})).toHaveLength(3 * PER_AUTHOR);
  });

  it.each([
    ['a new client', {}],
    ['a client that has seen one delta', { [author(1)]: 1 }],
    ['a client behind on every author', Object.fromEntries(Object.keys(FULL_CLOCK).map((key) => [key, 1]))],
  ])('answers the first page of %s by reading about the page, not every unseen delta', async (_, since) => {
    const statement = await firstPage(since, 2);
    const root = await plan(statement, true);
    // At most the seen half of the 20,000 deltas and the page; a new client reads its page only.
    expect(deltasRead(root)).toBeLessThanOrEqual(AUTHORS + 2);
    if (Object.keys(since).length === 0) expect(deltasRead(root)).toBe(2);
    const page = await provider.documents.getDeltasPage('big', since, { limit: 1 });
    expect(page.deltas).toEqual((await provider.documents.getDeltasSince('big', since)).slice(0, 1));
  });

  it('answers the first page of a client far behind through the primary key, stopping at the page', async () => {
    const root = await plan(await firstPage({ [author(1)]: 1 }, 2), true);
    const scans = scansOf(root, 'sync_deltas');
    expect(scans.map((scan) => scan['Index Name'])).toEqual(['sync_deltas_pkey']);
    expect(scans[0]!['Actual Rows']).toBe(2);
  });

  it('answers the first page of a client almost up to date by author, as the rest of its catch-up', async () => {
    const statement = await firstPage(behind, 2);
    const root = await plan(statement, true);
    expect(scansOf(root, 'sync_deltas')[0]!['Actual Loops']).toBe(3);
    expect(statement.name).toBe('catchUpFirstPage');
  });

  it('pages a large catch-up by seq through the primary key, never a sequential scan', async () => {
    const root = await plan(walkStatement(tables, 'big', { [author(1)]: 1 }, { afterSeq: 1000, limit: 500 }));
    const scans = scansOf(root, 'sync_deltas');
    expect(scans.map((scan) => scan['Node Type'])).not.toContain('Seq Scan');
    expect(scans.map((scan) => scan['Index Name'])).toEqual(['sync_deltas_pkey']);
  });
});

describe('the first page of a catch-up on a document of two authors and 20,000 deltas', () => {
  const HALF = 5_000;

  beforeAll(async () => {
    // a and b alternate: seq n is a's (n / 2 + 1)th delta when n is even, b's otherwise.
    const schema = tables.deltas.split('.')[0]!.replaceAll('"', '');
    await database.query(
      `insert into "${schema}".sync_documents (id, next_seq, created_at, updated_at) values ('two', 20000, now(), now())`,
    );
    await database.query(
      `insert into "${schema}".sync_document_clocks (document_id, client_id, counter, stored_deltas)
       values ('two', 'a', 10000, 10000), ('two', 'b', 10000, 10000)`,
    );
    await database.query(
      `insert into "${schema}".sync_deltas (document_id, seq, id, client_id, counter, "timestamp", data, vector_clock)
       select 'two', n, 'd' || n, client, counter, 0, '{}', jsonb_build_object(client, counter)
       from (select n, case when n % 2 = 0 then 'a' else 'b' end as client, n / 2 + 1 as counter
             from generate_series(0, 19999) as n) as rows`,
    );
    await database.query(`analyze "${schema}".sync_deltas, "${schema}".sync_document_clocks`);
  });

  it('reads about the page from each author when the client has seen the older half (neither half of the log)', async () => {
    const since = { a: HALF, b: HALF };
    const statement = await firstPage(since, 2, 'two');
    expect(statement.name).toBe('catchUpFirstPage');
    const root = await plan(statement, true);
    // Walking would skip the 10,000 seen deltas; reading every unseen one would read the other 10,000.
    expect(deltasRead(root)).toBeLessThanOrEqual(2 * 2);
    const page = await provider.documents.getDeltasPage('two', since, { limit: 1 });
    expect(page.deltas.map((delta) => delta.id)).toEqual([`d${2 * HALF}`]);
  });

  it('reads about the page when the client has seen just over or just under half of the log', async () => {
    for (const seen of [HALF - 1, HALF + 1]) {
      const root = await plan(await firstPage({ a: seen, b: seen }, 2, 'two'), true);
      expect(deltasRead(root)).toBeLessThanOrEqual(2 * 2);
    }
  });
});
