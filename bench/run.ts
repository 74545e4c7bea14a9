import 'reflect-metadata';
import type { StorageProvider } from '../src/index.js';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { applyBudgets } from './budgets.js';
import type { Floor } from './floors/floor.js';
import { memoryFloor } from './floors/memory-floor.js';
import { openPostgresFloor } from './floors/postgres-floor.js';
import { renderChart, type ChartSource, type ChartSpec } from './harness/chart.js';
import { interleavedLatency, interleavedRounds } from './harness/measure.js';
import * as results from './harness/results.js';
import type { Scenario, ScenarioContext } from './scenarios/context.js';
import * as setup from './setup.js';
import { parseBenchArguments } from './sizes.js';

/** The scenarios, in the order each driver runs them: the heap first on a quiet heap, then paging on an empty store. */
const SCENARIOS: ReadonlyArray<() => Promise<{ scenario: Scenario }>> = [
  () => import('./scenarios/memory-heap.js'),
  () => import('./scenarios/paging.js'),
  () => import('./scenarios/writes.js'),
  () => import('./scenarios/authors.js'),
  () => import('./scenarios/catch-up.js'),
  () => import('./scenarios/compaction.js'),
  () => import('./scenarios/snapshots.js'),
  () => import('./scenarios/awareness.js'),
  () => import('./scenarios/hostile.js'),
  () => import('./scenarios/sse-streams.js'),
  () => import('./scenarios/change-feed.js'),
  () => import('./scenarios/crdt.js'),
  () => import('./scenarios/history.js'),
  () => import('./scenarios/metrics.js'),
  () => import('./scenarios/hocuspocus.js'),
];

/** The driver's pool and the floor's get the same number of connections. */
const POOL_SIZE = 10;
type Postgres = ScenarioContext['postgres'];
const at = (path: string): string => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const LATEST = at('bench/results/latest.json');

const CHARTS: ChartSpec[] = [
  {
    file: at('docs/catch-up.svg'),
    title: 'Catch-up of 10 new deltas against history length',
    rowId: /^catchUp\.(naive\.)?\d+$/,
    series: (row, naive) => `${row.driver}${naive ? ', naive' : ' driver'}`,
    x: { extra: 'history', title: 'deltas already in the document (log scale)' },
  },
  {
    file: at('docs/authors.svg'),
    title: 'Cost against authors of a 10,000-delta document',
    rowId: /^authors\.(catchUp|addDelta|vectorClock)\.\d+$/,
    series: (row, operation) => `${row.driver} ${operation}`,
    x: { extra: 'authors', title: 'authors of the document (log scale)' },
  },
];

const log = (message: string): void => void process.stderr.write(`${message}\n`);

async function main(): Promise<void> {
  const { sizes, chartOnly, resultsFile, only } = parseBenchArguments(process.argv.slice(2));
  if (chartOnly) {
    const run = JSON.parse(await readFile(resultsFile ?? LATEST, 'utf8')) as ChartSource;
    for (const chart of CHARTS) await renderChart(run, chart);
    return;
  }
  const startedAt = new Date().toISOString();
  const machine = results.describeMachine();
  const pkg = await setup.loadBuiltPackage();
  const scenarios = await Promise.all(SCENARIOS.map(async (load) => (await load()).scenario));
  const rows: results.ResultRow[] = [];
  log(`nest-sync-storage benchmark, ${sizes.mode} mode, load ${machine.loadAverage.join(' ')} (table on stdout)`);

  /** Runs every scenario of the driver; each row recorded is printed as it comes. */
  const runDriver = async (driver: results.Driver, provider: StorageProvider, floor: Floor, postgres?: Postgres) => {
    let last = performance.now();
    const context: ScenarioContext = {
      ...{ driver, pkg, provider, documents: provider.documents, floor, postgres: postgres ?? null, sizes },
      latency: (calls, samples = sizes.samples[driver]) => interleavedLatency(calls, samples),
      // Memory rounds take milliseconds: more warm-up rounds let the JIT settle first.
      rates: (makeRound, rounds = sizes.rounds[driver]) =>
        interleavedRounds(rounds, driver === 'memory' ? 3 : 1, makeRound),
      record(row) {
        rows.push(results.completeRow(driver, row));
        log(results.progressLine(rows.at(-1)!, (performance.now() - last) / 1000));
        last = performance.now();
      },
      progress: (message) => log(`[${driver}] ${message}`),
    };
    const chosen = (one: Scenario) => only === null || only.some((word) => one.name.includes(word));
    for (const scenario of scenarios.filter((one) => (one.drivers?.includes(driver) ?? true) && chosen(one))) {
      context.progress(`${scenario.name}…`);
      await scenario.run(context);
    }
  };

  const memory = await setup.startStorageApp(pkg, { driver: 'memory' });
  await runDriver('memory', memory.provider, memoryFloor()).finally(() => memory.close());
  log('postgres: starting an embedded server (initdb takes a few seconds)');
  const server = await setup.startPostgresServer();
  try {
    log(
      `postgres ${server.version}, embedded, ${server.durable ? 'durable (fsync, synchronous_commit on)' : 'fsync off'}`,
    );
    const [driverUrl, floorUrl] = [await server.createDatabase('driver'), await server.createDatabase('floor')];
    const options = { driver: 'postgres', clientUrl: driverUrl, pool: { max: POOL_SIZE } } as const;
    const floor = await openPostgresFloor(floorUrl, POOL_SIZE, pkg);
    const app = await setup.startStorageApp(pkg, options);
    const driverSql = setup.sqlConnection(driverUrl);
    // As autovacuum would have by then: fresh statistics and visibility maps, so no plan or index-only scan
    // depends on when it last ran.
    const analyze = async () => void (await Promise.all([driverSql.query('vacuum analyze'), floor.analyze()]));
    const extras = {
      floor,
      analyze,
      query: driverSql.query,
      startProvider: (extra = {}) => setup.startStorageApp(pkg, { ...options, ...extra }),
      providerOptions: options,
    };
    await runDriver('postgres', app.provider, floor, extras).finally(() =>
      Promise.all([app.close(), floor.close(), driverSql.close()]),
    );
  } finally {
    await server.stop();
  }

  applyBudgets(rows, sizes);
  const run = {
    startedAt,
    mode: sizes.mode,
    machine: { ...machine, loadAtEnd: results.describeMachine().loadAverage },
    postgres: { version: server.version, embedded: true, durable: server.durable, poolSize: POOL_SIZE },
    rows,
  };
  process.stdout.write(`\n${results.markdownTable(rows)}\n\n`);
  const file = at(`bench/results/${startedAt.replace(/[:.]/g, '-')}.json`);
  await mkdir(at('bench/results'), { recursive: true });
  await writeFile(file, `${JSON.stringify(run, null, 2)}\n`);
  // A run of some scenarios (--only) keeps its own file: latest.json and the charts are for whole runs.
  if (only === null) await copyFile(file, LATEST);
  if (sizes.mode === 'full' && only === null) for (const chart of CHARTS) await renderChart(run, chart);
  const misses = rows.filter((row) => row.budget && !row.budget.pass).length;
  log(
    `results: ${file}${only === null ? ' (and latest.json)' : ''}; ${misses} budget miss(es); load ${run.machine.loadAtEnd.join(' ')}`,
  );
}

main().then(
  () => process.exit(),
  (error: unknown) => {
    log(`benchmark failed: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  },
);
