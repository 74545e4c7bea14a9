import type { DocumentStore, StorageChangeFeed } from '../../src/index.js';
import { latencyOf, withCallers } from '../harness/measure.js';
import { spreadWrites, type DeltaWrite } from '../workload.js';
import { count, expectEqual, type Scenario, type ScenarioContext } from './context.js';

/** Subscribers on the writer's own provider (A), while B carries the many. */
const SUBSCRIBERS_ON_A = 10;

const eventKey = (documentId: string | null, deltaId: string): string => `${documentId}\u0000${deltaId}`;

/** A subscription noting when it hears each delta (documents share delta ids, so a key holds both). */
function listen(feed: StorageChangeFeed, documentId?: string) {
  const heard = new Map<string, number>();
  const subscription = feed.changes(documentId).subscribe((change) => {
    const at = performance.now();
    for (const id of change.deltaIds ?? []) heard.set(eventKey(change.documentId, id), at);
  });
  const hears = (write: DeltaWrite): boolean =>
    (documentId ?? write.documentId) !== write.documentId || heard.has(eventKey(write.documentId, write.delta.id));
  return { heard, hears, close: () => subscription.unsubscribe() };
}

type Listener = ReturnType<typeof listen>;

/** Whether every listener heard every write (of its document) within `timeoutMs`; polls, so times stay exact. */
async function heardAll(listeners: Listener[], writes: readonly DeltaWrite[], timeoutMs = 30_000): Promise<boolean> {
  const until = performance.now() + timeoutMs;
  while (!listeners.every((listener) => writes.every(listener.hears)))
    if (performance.now() > until) return false;
    else await new Promise((resolve) => setTimeout(resolve, 2));
  return true;
}

let markers = 0;
/**
 * Writes markers until every listener has heard one: a subscription starts from where the log ends when it
 * has read that, so a commit just before is not its to hear.
 */
async function marker(documents: DocumentStore, documentId: string, listeners: Listener[]): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const n = ++markers;
    const delta = { id: `marker-${n}`, clientId: 'marker', timestamp: 0, data: null, vectorClock: { marker: n } };
    expectEqual(await documents.addDelta(documentId, delta), true, 'marker write');
    if (await heardAll(listeners, [{ documentId, delta }], 200)) return;
  }
  throw new Error('the listening connection did not come up');
}

const expectHeard = async (listeners: Listener[], writes: readonly DeltaWrite[]) =>
  expectEqual(await heardAll(listeners, writes), true, 'every delta heard on the change feed');

/**
 * The change feed across two providers on one database (issues 12 and 18): A's write rate with a subscriber
 * on B against the floor's transaction, and with 100 subscribers against none, at each caller count; how long
 * after A's `addDelta` resolves B's subscriber hears of it; and the same while B's listening connection is
 * terminated by the server mid-run (the feed then reads what it missed from the change log).
 */
export const scenario: Scenario = {
  name: 'change feed',
  drivers: ['postgres'],
  async run(context) {
    const b = await context.postgres!.startProvider();
    try {
      for (const writers of [1, context.sizes.callers]) await deliveryLatency(context, b.provider, writers);
      await deliveryAcrossLostConnection(context, b.provider, context.sizes.callers);
      for (const callers of context.sizes.feedCallers) {
        await writeRateVsFloor(context, b.provider, callers);
        await writeRateWithSubscribers(context, b.provider, callers);
      }
    } finally {
      await b.close();
    }
  },
};

async function deliveryLatency(context: ScenarioContext, b: StorageChangeFeed, writers: number): Promise<void> {
  const { sizes, documents, postgres } = context;
  const listener = listen(b);
  await marker(documents, 'feed/marker', [listener]);
  const writes = spreadWrites(`feed/${writers}`, sizes.feedDeltas, sizes.writeDocuments, sizes.clients);
  const resolved = new Map<string, number>();
  await withCallers(writes, writers, async ({ documentId, delta }) => {
    expectEqual(await documents.addDelta(documentId, delta), true, 'addDelta');
    resolved.set(eventKey(documentId, delta.id), performance.now());
  });
  await expectHeard([listener], writes);
  listener.close();
  const floor = await postgres!.floor.notifyLatencies(writes.length, writers);
  context.record({
    id: `feed.latency.${writers}`,
    scenario: `change feed delivery, ${writers} writer(s)`,
    detail: `${count(writes.length)} deltas, from A's addDelta resolving to B's subscriber (negative: B heard first)`,
    ours: latencyOf([...resolved].map(([key, at]) => listener.heard.get(key)! - at)),
    floor: latencyOf(floor),
    floorLabel: 'pg: pg_notify answered → a LISTEN connection hears it',
  });
}

/**
 * The same delivery while the server terminates B's listening connection three times: every delta must still
 * arrive, those written while it was away within `changeFeedMaxDelayMs` (the feed's own reading of the log).
 */
async function deliveryAcrossLostConnection(context: ScenarioContext, b: StorageChangeFeed, writers: number) {
  const { sizes, documents, postgres } = context;
  const listener = listen(b);
  await marker(documents, 'feed/marker', [listener]);
  const writes = spreadWrites(`feed/lost/${writers}`, sizes.feedDeltas, sizes.writeDocuments, sizes.clients);
  const resolved = new Map<string, number>();
  let written = 0;
  const cuts = [0.2, 0.45, 0.7].map((share) => Math.floor(share * writes.length));
  await withCallers(writes, writers, async ({ documentId, delta }) => {
    expectEqual(await documents.addDelta(documentId, delta), true, 'addDelta');
    resolved.set(eventKey(documentId, delta.id), performance.now());
    if (cuts.includes(++written))
      await postgres!.query(`select pg_terminate_backend(pid) from pg_stat_activity
        where datname = current_database() and query ilike 'listen %'`);
  });
  await expectHeard([listener], writes);
  listener.close();
  context.record({
    id: `feed.lost.${writers}`,
    scenario: `change feed delivery, ${writers} writers, B's LISTEN connection terminated 3 times`,
    detail: `${count(writes.length)} deltas, all delivered; from A's addDelta resolving to B's subscriber`,
    ours: latencyOf([...resolved].map(([key, at]) => listener.heard.get(key)! - at)),
  });
}

const writeAll = (store: DocumentStore, writes: DeltaWrite[], callers: number) => () =>
  withCallers(writes, callers, async ({ documentId, delta }) =>
    expectEqual(await store.addDelta(documentId, delta), true, 'addDelta'),
  );

/** A's addDelta with one all-documents subscriber on B, against the floor's same transaction (no feed at all). */
async function writeRateVsFloor(context: ScenarioContext, b: StorageChangeFeed, callers: number): Promise<void> {
  const { sizes, documents, floor } = context;
  const rates = await context.rates(async (round) => {
    const writes = spreadWrites(
      `feed/floor/${callers}/${round}`,
      sizes.writeDeltas,
      sizes.writeDocuments,
      sizes.clients,
    );
    const floorWrites = spreadWrites(
      `feed/floor-alone/${callers}/${round}`,
      sizes.writeDeltas,
      sizes.writeDocuments,
      sizes.clients,
    );
    let listener: Listener | undefined;
    const setUp = async (): Promise<void> => {
      listener = listen(b);
      await marker(documents, 'feed/marker', [listener]);
    };
    const tearDown = async (): Promise<void> => {
      await expectHeard([listener!], writes);
      listener!.close();
    };
    const floorSide = () =>
      withCallers(floorWrites, callers, async ({ documentId, delta }) =>
        expectEqual(await floor.addDeltas(documentId, [delta]), 1, 'floor addDelta'),
      );
    return {
      ops: sizes.writeDeltas,
      sides: { ours: { setUp, run: writeAll(documents, writes, callers), tearDown }, floor: floorSide },
    };
  });
  context.record({
    id: `feed.addDelta.${callers}`,
    scenario: `addDelta, ${callers} callers, a subscriber listening on B`,
    detail: `${count(sizes.writeDeltas)} deltas, ${sizes.writeDocuments} documents`,
    ours: rates.get('ours')!,
    floor: rates.get('floor')!,
    floorLabel: 'pg: the same write function (document, delta, clock, version, log), no feed',
  });
}

/** A's write rate with subscribers on both providers, against the same writes with no subscriber anywhere. */
async function writeRateWithSubscribers(context: ScenarioContext, b: StorageChangeFeed, callers: number) {
  const { sizes, documents, provider: a } = context;
  const rates = await context.rates(async (round) => {
    const [subscribed, alone] = ['on', 'off'].map((side) =>
      spreadWrites(`feed/rate/${callers}/${side}/${round}`, sizes.writeDeltas, sizes.writeDocuments, sizes.clients),
    );
    const documentIds = [...new Set(subscribed!.map((write) => write.documentId))];
    const listeners: Listener[] = [];
    const setUp = async (): Promise<void> => {
      for (let i = 0; i < sizes.feedSubscribers; i++) listeners.push(listen(b, documentIds[i % documentIds.length]));
      for (let i = 0; i < SUBSCRIBERS_ON_A; i++) listeners.push(listen(a));
      await marker(documents, documentIds[0]!, listeners);
    };
    // Every subscriber must have heard every delta of its document before it goes.
    const tearDown = async (): Promise<void> => {
      await expectHeard(listeners, subscribed!);
      for (const listener of listeners.splice(0)) listener.close();
    };
    return {
      ops: sizes.writeDeltas,
      sides: {
        ours: { setUp, run: writeAll(documents, subscribed!, callers), tearDown },
        floor: writeAll(documents, alone!, callers),
      },
    };
  });
  context.record({
    id: `feed.writeRate.${callers}`,
    scenario: `addDelta, ${callers} callers, ${sizes.feedSubscribers} subscribers on B, ${SUBSCRIBERS_ON_A} on A`,
    detail: `${count(sizes.writeDeltas)} deltas, ${sizes.writeDocuments} documents`,
    ours: rates.get('ours')!,
    floor: rates.get('floor')!,
    floorLabel: 'the same writes, no subscriber anywhere',
  });
}
