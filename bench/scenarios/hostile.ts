import type { JsonValue, StorageProvider, StoredDelta } from '../../src/index.js';
import { latencyOf } from '../harness/measure.js';
import { count, type Scenario } from './context.js';

const DOCUMENT = 'hostile';
const MiB = 1024 * 1024;

/** Large inputs are built once, when first needed, and shared by both drivers. */
const once = <T>(build: () => T): (() => T) => {
  let value: T | undefined;
  return () => (value ??= build());
};
const keyed = (keys: number, prefix: string, value = (_: number) => 1): Record<string, number> =>
  Object.fromEntries(Array.from({ length: keys }, (_, i) => [`${prefix}${i}`, value(i)]));
const delta = (key: string, n: number, fields: Partial<StoredDelta> = {}): StoredDelta => ({
  ...{ id: `${key}-${n}`, clientId: key, timestamp: 1_700_000_000_000, data: { op: 'insert' } },
  ...{ vectorClock: { [key]: n }, ...fields },
});
const nested = (levels: number, filler: string): JsonValue => {
  let node: JsonValue = [filler];
  for (let level = 1; level < levels; level++) node = [filler, node];
  return node;
};
/** A delta whose whole JSON is `bytes` long (ASCII): its data is a string filling what the rest leaves. */
const deltaOfSize = (key: string, n: number, bytes: number): StoredDelta => {
  const empty = delta(key, n, { data: '' });
  return { ...empty, data: 'x'.repeat(bytes - JSON.stringify(empty).length) };
};
const bigClock = once(() => keyed(95_000, 'c'));
const deepBody = once(() => nested(3_000, 'x'.repeat(4_500)));
// `"key-12345":12345,` is 18 bytes: 85,000 of them make about 1.5 MB.
const flatData = once(() => keyed(85_000, 'key-', (i) => i));
const hugeBatch = once(() => Array.from({ length: 200_000 }, (_, i) => delta('batch', i + 1)));
const hugeSince = once(() => keyed(100_000, 'c'));
const longId = once(() => 'x'.repeat(MiB));

/**
 * An input of issue 10, or one just under a limit: `build(n)` makes it before the clock starts (n makes
 * accepted writes new), and only sending it is timed.
 */
const sent =
  <T>(send: (provider: StorageProvider, input: T) => Promise<unknown>) =>
  (key: string, input: string, accepted: boolean, build: (n: number) => T) => ({
    ...{ key, input, accepted },
    prepare(provider: StorageProvider, n: number) {
      const built = build(n);
      return () => send(provider, built);
    },
  });
const addDelta = sent<StoredDelta>((p, input) => p.documents.addDelta(DOCUMENT, input));
/** A delta to a document of its own (`[documentId, delta]`): for inputs the document's author bound would refuse. */
const addDeltaTo = sent<[string, StoredDelta]>((p, [documentId, input]) => p.documents.addDelta(documentId, input));
/** As a server saves a snapshot a client uploaded: its clock is the client's claim. */
const saveSnapshot = sent<Record<string, number>>((p, clock) =>
  p.documents.saveSnapshot(DOCUMENT, new Uint8Array([1]), clock, { refuseClockAhead: true }),
);
const pageAfter = sent<string>((p, after) => p.documents.getDeltasPage(DOCUMENT, null, { after }));
/** A document at the default author bound (10,000 keys), written once; catch-up there uses the clock it hands out. */
const FULL = 'hostile-full';
const fullClocks = new WeakMap<StorageProvider, Record<string, number>>();
async function fullDocument(provider: StorageProvider): Promise<Record<string, number>> {
  let clock = fullClocks.get(provider);
  if (!clock) {
    await provider.documents.addDelta(FULL, delta('full', 1, { vectorClock: { ...keyed(9_999, 'a'), full: 1 } }));
    clock = { ...(await provider.documents.getVectorClock(FULL)) };
    fullClocks.set(provider, clock);
  }
  return clock;
}
const atBound = (read: (provider: StorageProvider) => Promise<unknown>) => ({
  async prepare(provider: StorageProvider) {
    await fullDocument(provider);
    return () => read(provider);
  },
});
const addDeltas = sent<StoredDelta[]>((p, input) => p.documents.addDeltas(DOCUMENT, input));
let stateClock = 0;
const setState = sent<JsonValue>((p, input) => p.awareness.set(DOCUMENT, 'state', input, ++stateClock));
const catchUp = sent<Record<string, number>>((p, input) => p.documents.getDeltasSince(DOCUMENT, input));

const INPUTS = [
  addDelta('clock95k', 'a delta with 95,000 clock keys', false, (n) =>
    delta('clock', n, { vectorClock: { ...bigClock(), clock: n } }),
  ),
  addDelta('deep3000', 'a 13.5 MB body nested 3,000 levels deep', false, (n) => delta('deep', n, { data: deepBody() })),
  addDelta('flat1.5MB', 'a 1.5 MB flat JSON delta (85,000 keys)', false, (n) => delta('flat', n, { data: flatData() })),
  addDeltas('batch200k', 'a batch of 200,000 deltas', false, hugeBatch),
  setState('state1MB', 'an awareness state of 1 MB', false, () => ({ blob: 'x'.repeat(1_000_000) })),
  catchUp('since100k', 'a since clock of 100,000 keys', false, hugeSince),
  addDelta('id1MiB', 'a delta id of 1 MiB', false, (n) => delta('id', n, { id: longId() })),
  addDeltaTo('clock10k', 'a delta with 10,000 clock keys', true, (n) => [
    `hostile-clock10k-${n}`,
    delta('clock10k', n, { vectorClock: { ...keyed(9_999, `c${n}-`), clock10k: n } }),
  ]),
  {
    key: 'authors10k+1',
    input: 'a delta naming a new author of a document at maxDocumentAuthors',
    accepted: false,
    async prepare(provider: StorageProvider, n: number) {
      await fullDocument(provider);
      return () => provider.documents.addDelta(FULL, delta(`newcomer${n}`, 1));
    },
  },
  saveSnapshot('snapshotAhead', "a client's snapshot claiming an author's future counters", false, () => ({
    victim: Number.MAX_SAFE_INTEGER,
  })),
  pageAfter('cursor0', 'a forged paging cursor (after=0)', false, () => '0'),
  addDelta('depth64', 'a delta nested 64 levels deep', true, (n) => delta('depth64', n, { data: nested(64, 'x') })),
  addDelta('delta1MiB', 'a delta of 1 MiB of JSON', true, (n) => deltaOfSize('delta1MiB', n, MiB)),
  addDeltas('batch10k', 'a batch of 10,000 deltas', true, (n) =>
    Array.from({ length: 10_000 }, (_, i) => delta(`batch10k-${n}`, i + 1)),
  ),
  // `{"blob":""}` is 11 of the 65,536 bytes.
  setState('state64KiB', 'an awareness state of 64 KiB', true, () => ({ blob: 'x'.repeat(64 * 1024 - 11) })),
];

/** Reads of a document at the author bound: what the bound lets one document cost (issue 23, finding 3). */
const READS_AT_BOUND = [
  {
    key: 'clockAt10k',
    input: 'getVectorClock of a document of 10,000 authors',
    ...atBound((p) => p.documents.getVectorClock(FULL)),
  },
  {
    key: 'catchUpAt10k',
    input: 'catch-up with the 10,000-key clock the store handed out',
    ...atBound(async (p) => p.documents.getChangesSince(FULL, await fullDocument(p))),
  },
];

/**
 * Hostile inputs (issue 10), with the default limits: how long each takes to be refused (or accepted, just under
 * a limit), and how long a health check started at the same moment waits, against one on an idle provider.
 */
export const scenario: Scenario = {
  name: 'hostile inputs',
  async run(context) {
    const { provider, pkg, sizes } = context;
    const healthCheck = async () => (await provider.checkHealth()).healthy;
    const idle = (await context.latency({ health: healthCheck }, sizes.hostileSamples * 4)).get('health')!;
    const inputs = [...INPUTS, ...READS_AT_BOUND.map((read) => ({ ...read, accepted: true }))];
    for (const { key, input, accepted, prepare } of inputs) {
      const samples = [];
      // In full mode the first one warms up, untimed; quick mode spares the time (a 10,000-delta batch takes long).
      const warmups = sizes.mode === 'full' ? 1 : 0;
      for (let n = 1 - warmups; n <= sizes.hostileSamples; n++) {
        const call = await prepare(provider, n + 1);
        const started = performance.now();
        const health = healthCheck().then((healthy) => ({ healthy, ms: performance.now() - started }));
        const outcome = await call().then(
          () => 'accepted',
          (error: unknown) => {
            if (
              error instanceof pkg.StorageValidationError ||
              error instanceof pkg.StorageLimitError ||
              error instanceof pkg.SnapshotAheadError
            )
              return 'rejected';
            // A storage failure of an input within the limits is a finding to report, not a reason to stop.
            if (accepted && error instanceof pkg.StorageError) return 'failed';
            throw error;
          },
        );
        const ms = performance.now() - started;
        if (outcome !== 'failed' && outcome !== (accepted ? 'accepted' : 'rejected'))
          throw new Error(`${input}: ${outcome}`);
        if (n > 0) samples.push({ ms, outcome, health: await health });
      }
      // A blocked event loop makes the health check's own timeout fire: such answers are counted.
      const failed = samples.filter((sample) => sample.outcome === 'failed').length;
      const unhealthy = samples.filter((sample) => !sample.health.healthy).length;
      const [scenario, detail] = [`${accepted ? 'accepts' : 'rejects'} ${input}`, `${count(samples.length)} sample(s)`];
      context.record({
        id: `hostile.${key}`,
        scenario,
        detail: failed ? `${detail}, ${failed} FAILED with a StorageError` : detail,
        ours: latencyOf(samples.map((sample) => sample.ms)),
        extra: { rejected: accepted ? 0 : 1, failed },
      });
      context.record({
        id: `hostile.${key}.health`,
        scenario: `checkHealth started with it (${scenario})`,
        detail: `${detail}, ${unhealthy} answered unhealthy`,
        ours: latencyOf(samples.map((sample) => sample.health.ms)),
        floor: idle,
        floorLabel: 'checkHealth on an idle provider',
      });
    }
    // A legal 10,000-delta batch is one transaction (all or nothing): a write to its document waits for it. With
    // 200-character ids too: building their answer was quadratic in their bytes on PostgreSQL (7-12 s).
    const held = [
      { id: 'hostile.batch10k.documentHeld', ids: '', what: 'a batch of 10,000 deltas' },
      {
        id: 'hostile.batch10kLongIds.documentHeld',
        ids: 'i'.repeat(190),
        what: 'a batch of 10,000 deltas, 200-character ids',
      },
    ];
    for (const { id, ids, what } of held) {
      const waits = [];
      for (let n = 1; n <= sizes.hostileSamples; n++) {
        const documentId = `${id}-${n}`;
        const batch = Array.from({ length: 10_000 }, (_, i) =>
          delta(`${ids}locked`, i + 1, { clientId: 'locked', vectorClock: { locked: i + 1 } }),
        );
        // A write sent right behind the batch would no longer queue behind it: a large batch is checked in
        // slices first. The batch call's own time bounds how long it holds the document.
        const started = performance.now();
        await provider.documents.addDeltas(documentId, batch);
        waits.push(performance.now() - started);
      }
      context.record({
        id,
        scenario: `${what} to one document`,
        detail: `${count(waits.length)} sample(s): the batch call, which bounds how long it holds the document`,
        ours: latencyOf(waits),
      });
    }
  },
};
