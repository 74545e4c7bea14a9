// What recording metrics costs the hot path (issue 22): writes and catch-ups with metrics off, on OpenTelemetry's
// no-op meter (the API without an SDK), and on the SDK with an in-memory reader, interleaved round by round.
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
import { count, expectEqual, type Scenario, type ScenarioContext } from './context.js';

/** addDelta calls a slice (catch-ups: a tenth of it); a memory call takes microseconds, a slice about a millisecond. */
const SLICE_CALLS = 200;
/** Slices a round, and measured rounds: the differences sought are a few percent. */
const SLICES = { full: { rounds: 15, slices: 100 }, quick: { rounds: 9, slices: 40 } };
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
  // On postgres a call is a round trip: what recording costs is lost in its noise.
  drivers: ['memory'],
  async run(context) {
    const sdk = new MeterProvider({
      readers: [
        new PeriodicExportingMetricReader({
          exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
          exportIntervalMillis: 60_000,
        }),
      ],
    });
    const open = (metrics?: StorageMeter) => context.pkg.openStorageProvider({ driver: 'memory', metrics });
    const providers: Record<Side, StorageProvider> = {
      off: await open(),
      noop: await open(openTelemetry.getMeter('nest-sync-storage-bench')),
      sdk: await open(sdk.getMeter('nest-sync-storage-bench')),
    };
    try {
      await writes(context, providers);
      await catchUps(context, providers);
    } finally {
      await Promise.all(Object.values(providers).map((provider) => provider.close()));
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
  const { rounds, slices } = SLICES[context.sizes.mode];
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
  const rates = await slicedRates(context, SLICE_CALLS, (side, round, slice) => {
    const work = spreadWrites(`metrics/${side}/${round}/${slice}`, SLICE_CALLS, writeDocuments, clients);
    const store = providers[side].documents;
    return async () => {
      for (const { documentId, delta } of work) expectEqual(await store.addDelta(documentId, delta), true, 'addDelta');
    };
  });
  const total = SLICE_CALLS * SLICES[context.sizes.mode].slices;
  record(context, 'addDelta', `${count(total)} addDelta calls a round, ${writeDocuments} documents`, rates);
}

async function catchUps(context: ScenarioContext, providers: Record<Side, StorageProvider>): Promise<void> {
  const sequence = new DeltaSequence(clientIds(context.sizes.clients));
  const old = sequence.take(HISTORY);
  const since = sequence.clockSoFar();
  const fresh = sequence.take(FRESH);
  for (const provider of Object.values(providers))
    for (const part of chunk([...old, ...fresh], context.sizes.loadBatch))
      await provider.documents.addDeltas('metrics/catch-up', part);
  const calls = SLICE_CALLS / 10;
  const rates = await slicedRates(context, calls, (side) => {
    const store = providers[side].documents;
    return async () => {
      for (let call = 0; call < calls; call++)
        expectEqual((await store.getDeltasSince('metrics/catch-up', since)).length, FRESH, 'catch-up');
    };
  });
  const total = calls * SLICES[context.sizes.mode].slices;
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
