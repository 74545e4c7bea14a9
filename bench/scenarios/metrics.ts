// What recording metrics costs the hot path (issue 22): writes and catch-ups with metrics off, on OpenTelemetry's
// no-op meter (the API without an SDK), and on the SDK with an in-memory reader, taking turns slice by slice.
import { metrics as openTelemetry } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import type { StorageMeter, StorageProvider } from '../../src/index.js';
import { elapsedMs, median, type Throughput } from '../harness/measure.js';
import { DeltaSequence, clientIds, chunk, spreadWrites } from '../workload.js';
import type { StorageApp } from '../setup.js';
import { count, expectEqual, type Scenario, type ScenarioContext } from './context.js';

/**
 * Calls a slice, slices a round and measured rounds, per driver: the differences sought are a few percent.
 * A memory call takes microseconds (a slice about a millisecond); a postgres one a round trip and a flush.
 */
const SLICING = {
  memory: { writes: 200, catchUps: 20, full: { rounds: 15, slices: 100 }, quick: { rounds: 3, slices: 20 } },
  postgres: { writes: 10, catchUps: 10, full: { rounds: 7, slices: 60 }, quick: { rounds: 3, slices: 10 } },
};
const WARM_UP_ROUNDS = 2;
const HISTORY = 1_000;
const FRESH = 10;

type Side = 'off' | 'noop' | 'sdk';
const LABELS: Record<Exclude<Side, 'off'>, string> = {
  noop: 'no-op meter (API without SDK)',
  sdk: 'SDK, in-memory reader',
};

export const scenario: Scenario = {
  name: 'metrics overhead',
  async run(context) {
    const sdk = new MeterProvider({
      readers: [
        new PeriodicExportingMetricReader({
          exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
          exportIntervalMillis: 60_000,
        }),
      ],
    });
    // Postgres: three providers on the driver's database, each with a pool of its own.
    const open = async (metrics?: StorageMeter): Promise<StorageApp> => {
      if (context.postgres) return context.postgres.startProvider({ metrics });
      const provider = await context.pkg.openStorageProvider({ driver: 'memory', metrics });
      return { provider, close: () => provider.close() };
    };
    const apps: Record<Side, StorageApp> = {
      off: await open(),
      noop: await open(openTelemetry.getMeter('nest-sync-storage-bench')),
      sdk: await open(sdk.getMeter('nest-sync-storage-bench')),
    };
    const providers: Record<Side, StorageProvider> = {
      off: apps.off.provider,
      noop: apps.noop.provider,
      sdk: apps.sdk.provider,
    };
    try {
      await writes(context, providers);
      await catchUps(context, providers);
    } finally {
      await Promise.all(Object.values(apps).map((app) => app.close()));
      await sdk.shutdown();
    }
  },
};

/**
 * Rates of the three sides from rounds of short slices. Within a round the sides take turns slice by slice
 * (rotating who goes first), so a load burst from another process or a collection hits them alike; a side's
 * cost against metrics off is the median of its slice-by-slice time ratios, which such a burst moves little.
 */
async function slicedRates(
  context: ScenarioContext,
  opsPerSlice: number,
  /** The slice's calls, built before its clock starts. */
  prepare: (side: Side, round: number, slice: number) => () => Promise<void>,
): Promise<Map<string, Throughput>> {
  const sides: Side[] = ['off', 'noop', 'sdk'];
  const { rounds, slices } = SLICING[context.driver][context.sizes.mode];
  const roundMs = new Map<Side, number[]>(sides.map((side) => [side, []]));
  const ratios = new Map<Side, number[]>(sides.map((side) => [side, []]));
  for (let round = -WARM_UP_ROUNDS; round < rounds; round++) {
    const spent = new Map<Side, number>(sides.map((side) => [side, 0]));
    for (let slice = 0; slice < slices; slice++) {
      const taken = new Map<Side, number>();
      for (let turn = 0; turn < sides.length; turn++) {
        const side = sides[(slice + turn) % sides.length]!;
        taken.set(side, await elapsedMs(prepare(side, round, slice)));
      }
      if (round < 0) continue;
      for (const side of sides) {
        spent.set(side, spent.get(side)! + taken.get(side)!);
        ratios.get(side)!.push(taken.get(side)! / taken.get('off')!);
      }
    }
    if (round >= 0) for (const side of sides) roundMs.get(side)!.push(spent.get(side)!);
  }
  const ops = opsPerSlice * slices;
  const offRate = (ops * 1000) / median(roundMs.get('off')!);
  return new Map(
    sides.map((side) => [
      side,
      {
        kind: 'throughput',
        opsPerSecond: offRate / median(ratios.get(side)!),
        ops,
        roundMs: roundMs.get(side)!,
      } satisfies Throughput,
    ]),
  );
}

async function writes(context: ScenarioContext, providers: Record<Side, StorageProvider>): Promise<void> {
  const { clients, writeDocuments } = context.sizes;
  const calls = SLICING[context.driver].writes;
  const rates = await slicedRates(context, calls, (side, round, slice) => {
    const work = spreadWrites(`metrics/${side}/${round}/${slice}`, calls, writeDocuments, clients);
    const store = providers[side].documents;
    return async () => {
      for (const { documentId, delta } of work) expectEqual(await store.addDelta(documentId, delta), true, 'addDelta');
    };
  });
  const total = calls * SLICING[context.driver][context.sizes.mode].slices;
  record(context, 'addDelta', `${count(total)} addDelta calls a round, ${writeDocuments} documents`, rates);
}

async function catchUps(context: ScenarioContext, providers: Record<Side, StorageProvider>): Promise<void> {
  const sequence = new DeltaSequence(clientIds(context.sizes.clients));
  const old = sequence.take(HISTORY);
  const since = sequence.clockSoFar();
  const fresh = sequence.take(FRESH);
  // One document per side: on postgres the three providers share the database.
  for (const [side, provider] of Object.entries(providers))
    for (const part of chunk([...old, ...fresh], context.sizes.loadBatch))
      await provider.documents.addDeltas(`metrics/catch-up/${side}`, part);
  await context.postgres?.analyze();
  const calls = SLICING[context.driver].catchUps;
  const rates = await slicedRates(context, calls, (side) => {
    const store = providers[side].documents;
    return async () => {
      for (let call = 0; call < calls; call++)
        expectEqual((await store.getDeltasSince(`metrics/catch-up/${side}`, since)).length, FRESH, 'catch-up');
    };
  });
  const total = calls * SLICING[context.driver][context.sizes.mode].slices;
  record(
    context,
    'catchUp',
    `${count(total)} catch-ups a round, ${FRESH} new on a ${count(HISTORY)}-delta history`,
    rates,
  );
}

/** One row per meter, against the same rounds with metrics off. */
function record(context: ScenarioContext, operation: string, detail: string, rates: Map<string, Throughput>): void {
  for (const side of ['noop', 'sdk'] as const)
    context.record({
      id: `metrics.${operation}.${side}`,
      scenario: `metrics on, ${LABELS[side]}`,
      detail,
      ours: rates.get(side)!,
      floor: rates.get('off')!,
      floorLabel: 'metrics off',
    });
}
