import 'reflect-metadata';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseBenchArguments, type BenchSizes } from './bench-options.js';
import { applyBudgets } from './budgets.js';
import { renderCatchUpChart } from './chart.js';
import type { Floor } from './floors/floor.js';
import { MemoryFloor } from './floors/memory-floor.js';
import { PostgresFloor } from './floors/postgres-floor.js';
import { describeMachine, type MachineInfo } from './harness/machine.js';
import { CATCH_UP_CHART, LATEST_RESULTS, REPOSITORY_ROOT, RESULTS_FOLDER } from './harness/paths.js';
import {
  completeRow,
  markdownTable,
  progressLine,
  type Driver,
  type NewRow,
  type ResultRow,
} from './harness/results.js';
import { runAwarenessScenarios } from './scenarios/awareness.js';
import { runCatchUpScenarios } from './scenarios/catch-up.js';
import { runCompactionScenarios } from './scenarios/compaction.js';
import { measureMemoryHeap } from './scenarios/memory-heap.js';
import { runPagingScenario } from './scenarios/paging.js';
import type { ScenarioContext } from './scenarios/scenario-context.js';
import { runSnapshotScenarios } from './scenarios/snapshots.js';
import { runWriteScenarios } from './scenarios/writes.js';
import { PostgresInspector } from './setup/postgres-inspector.js';
import { describeError, startPostgresServer } from './setup/postgres-server.js';
import { startStorageApp, type StorageApp } from './setup/storage-app.js';
import { loadBuiltPackage, type StoragePackage } from './setup/storage-package.js';

/** What a run writes to bench/results/<start time>.json and bench/results/latest.json. */
export interface BenchResults {
  startedAt: string;
  mode: BenchSizes['mode'];
  durationSeconds: number;
  machine: MachineInfo;
  postgres: { source: string; version: string } | null;
  /** Why some scenarios did not run (e.g. the postgres driver is not available yet). */
  skipped: string[];
  rows: ResultRow[];
}

/** Paging runs first: it needs the store to hold exactly its documents. */
const SCENARIOS: ReadonlyArray<{ name: string; run: (context: ScenarioContext) => Promise<void> }> = [
  { name: 'paging through document ids', run: runPagingScenario },
  { name: 'writes: addDelta and addDeltas', run: runWriteScenarios },
  { name: 'catch-up and resends', run: runCatchUpScenarios },
  { name: 'compaction and getChangesSince', run: runCompactionScenarios },
  { name: 'snapshots', run: runSnapshotScenarios },
  { name: 'awareness', run: runAwarenessScenarios },
];

/** The postgres driver's pool and the floor's get the same number of connections. */
const POOL_SIZE = 10;

const log = (message: string): void => void process.stderr.write(`${message}\n`);

async function main(): Promise<void> {
  const options = parseBenchArguments(process.argv.slice(2));
  if (options.chartOnly) {
    await renderCatchUpChart(options.resultsFile ?? LATEST_RESULTS, CATCH_UP_CHART);
    log(`chart written to ${relative(REPOSITORY_ROOT, CATCH_UP_CHART)}`);
    return;
  }
  const { sizes } = options;
  const startedAt = new Date();
  const started = performance.now();
  const pkg = await loadBuiltPackage();
  const rows: ResultRow[] = [];
  const skipped: string[] = [];
  log(`nest-sync-storage benchmark, ${sizes.mode} mode (progress on stderr, table on stdout)`);

  await runMemoryDriver(pkg, sizes, rows);
  const postgres = await runPostgresDriver(pkg, sizes, rows, skipped);

  applyBudgets(rows, sizes);
  const results: BenchResults = {
    startedAt: startedAt.toISOString(),
    mode: sizes.mode,
    durationSeconds: Math.round((performance.now() - started) / 100) / 10,
    machine: describeMachine(),
    postgres,
    skipped,
    rows,
  };
  process.stdout.write(`\n${markdownTable(rows)}\n\n`);
  for (const reason of skipped) process.stdout.write(`skipped: ${reason}\n`);
  const file = join(RESULTS_FOLDER, `${results.startedAt.replace(/[:.]/g, '-')}.json`);
  await mkdir(RESULTS_FOLDER, { recursive: true });
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  await copyFile(file, LATEST_RESULTS);
  const misses = rows.filter((row) => row.budget && !row.budget.pass).length;
  log(
    `results: ${relative(REPOSITORY_ROOT, file)} (also ${relative(REPOSITORY_ROOT, LATEST_RESULTS)}); ` +
      `${misses} budget miss(es); ${results.durationSeconds} s`,
  );
}

async function runMemoryDriver(pkg: StoragePackage, sizes: BenchSizes, rows: ResultRow[]): Promise<void> {
  const record = recorder('memory', rows);
  // First, while the heap holds nothing else of ours.
  record(await measureMemoryHeap(pkg, sizes));
  const app = await startStorageApp(pkg, { driver: 'memory' });
  try {
    await runScenarios(scenarioContext('memory', app, new MemoryFloor(), pkg, sizes, record));
  } finally {
    await app.close();
  }
}

async function runPostgresDriver(
  pkg: StoragePackage,
  sizes: BenchSizes,
  rows: ResultRow[],
  skipped: string[],
): Promise<BenchResults['postgres']> {
  const server = await startPostgresServer(log);
  try {
    log(`postgres ${server.version} (${server.source})`);
    const floorUrl = await server.createDatabase('floor');
    const driverUrl = await server.createDatabase('driver');
    const floor = await PostgresFloor.open(floorUrl, POOL_SIZE, pkg);
    const floorDatabase = PostgresInspector.open(floorUrl);
    let app: StorageApp | null = null;
    let driverDatabase: PostgresInspector | null = null;
    try {
      app = await startPostgresStore(pkg, driverUrl, skipped);
      if (app) driverDatabase = PostgresInspector.open(driverUrl);
      const context = scenarioContext('postgres', app, floor, pkg, sizes, recorder('postgres', rows));
      await runScenarios({ ...context, databases: { driver: driverDatabase, floor: floorDatabase } });
    } finally {
      await driverDatabase?.close();
      await floorDatabase.close();
      await app?.close();
      await floor.close();
    }
    return { source: server.source, version: server.version };
  } finally {
    await server.stop();
  }
}

/** The driver through StorageModule; null (and a note) while the driver is the "not available yet" placeholder. */
async function startPostgresStore(
  pkg: StoragePackage,
  clientUrl: string,
  skipped: string[],
): Promise<StorageApp | null> {
  try {
    return await startStorageApp(pkg, { driver: 'postgres', clientUrl, pool: { max: POOL_SIZE } });
  } catch (error) {
    if (!(error instanceof pkg.StorageError) || !error.message.includes('not available yet')) throw error;
    const reason = `postgres driver: ${error.message}; only its floors (plain pg) were measured`;
    log(reason);
    skipped.push(reason);
    return null;
  }
}

function scenarioContext(
  driver: Driver,
  app: StorageApp | null,
  floor: Floor,
  pkg: StoragePackage,
  sizes: BenchSizes,
  record: (row: NewRow) => void,
): ScenarioContext {
  return {
    driver,
    provider: app?.provider ?? null,
    floor,
    databases: null,
    pkg,
    sizes,
    // Memory rounds take milliseconds: a few more warm-up rounds let the JIT settle first.
    warmupRounds: driver === 'memory' ? 3 : 1,
    rounds: driver === 'memory' ? sizes.memoryRounds : sizes.postgresRounds,
    latencySamples: driver === 'memory' ? sizes.memoryLatencySamples : sizes.postgresLatencySamples,
    record: (row) => record({ ...row, driver }),
    progress: (message) => log(`[${driver}] ${message}`),
  };
}

async function runScenarios(context: ScenarioContext): Promise<void> {
  for (const { name, run } of SCENARIOS) {
    context.progress(`${name}…`);
    await run(context);
  }
}

/** Keeps each row and prints its progress line with the time since the previous one. */
function recorder(driver: Driver, rows: ResultRow[]): (row: NewRow) => void {
  let last = performance.now();
  return (row) => {
    const complete = completeRow({ ...row, driver });
    rows.push(complete);
    const now = performance.now();
    log(progressLine(complete, (now - last) / 1000));
    last = now;
  };
}

main().then(
  () => process.exit(),
  (error: unknown) => {
    log(`benchmark failed: ${error instanceof Error && error.stack ? error.stack : describeError(error)}`);
    process.exit(1);
  },
);
