import type { DocumentStore } from '../../src/index.js';
import {
  localListeners,
  sharedNow,
  workerListeners,
  writeKeys,
  type FeedListeners,
  type WriteKey,
} from '../harness/feed-listeners.js';
import { latencyOf, withCallers } from '../harness/measure.js';
import { spreadWrites, type DeltaWrite } from '../workload.js';
import { count, expectEqual, type Scenario, type ScenarioContext } from './context.js';

/** Subscribers on the writer's own provider (A), while B carries the many. */
const SUBSCRIBERS_ON_A = 10;

/** Listeners of one provider, by handle. */
type Listening = { on: FeedListeners; handles: number[] };

const heardAll = (groups: readonly Listening[], writes: readonly WriteKey[], timeoutMs = 30_000) =>
  Promise.all(groups.map(({ on, handles }) => on.heardAll(handles, writes, timeoutMs))).then((all) =>
    all.every(Boolean),
  );

let markers = 0;
/**
 * Writes markers until every listener has heard one: a subscription starts from where the log ends when it
 * has read that, so a commit just before is not its to hear.
 */
async function marker(documents: DocumentStore, documentId: string, groups: readonly Listening[]): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const n = ++markers;
    const delta = { id: `marker-${n}`, clientId: 'marker', timestamp: 0, data: null, vectorClock: { marker: n } };
    expectEqual(await documents.addDelta(documentId, delta), true, 'marker write');
    if (await heardAll(groups, [[documentId, delta.id]], 200)) return;
  }
  throw new Error('the listening connection did not come up');
}

const expectHeard = async (groups: readonly Listening[], writes: readonly DeltaWrite[]) =>
  expectEqual(await heardAll(groups, writeKeys(writes)), true, 'every delta heard on the change feed');

/** One all-documents listener on B, come up (a marker heard). */
async function listenOnB(documents: DocumentStore, b: FeedListeners): Promise<Listening> {
  const listening = { on: b, handles: [await b.listen(null)] };
  await marker(documents, 'feed/marker', [listening]);
  return listening;
}

/**
 * The change feed across two providers on one database (issues 12 and 18): A's write rate with a subscriber
 * on B against the floor's transaction, and with 100 subscribers against none, at each caller count; how long
 * after A's `addDelta` resolves B's subscriber hears of it; and the same while B's listening connection is
 * terminated by the server mid-run (the feed then reads what it missed from the change log). B runs in a
 * worker thread, as another instance runs on a server of its own: its deliveries take nothing from A's
 * event loop (both share this machine's two cores and the database).
 */
export const scenario: Scenario = {
  name: 'change feed',
  drivers: ['postgres'],
  async run(context) {
    const b = await workerListeners(context.postgres!.providerOptions);
    try {
      for (const writers of [1, context.sizes.callers]) await deliveryLatency(context, b, writers);
      await deliveryAcrossLostConnection(context, b, context.sizes.callers);
      for (const callers of context.sizes.feedCallers) {
        await writeRateVsFloor(context, b, callers);
        await writeRateWithSubscribers(context, b, callers);
      }
    } finally {
      await b.close();
    }
  },
};

/** A's writes by `writers` callers, noting when (`sharedNow`) each `addDelta` resolved. */
async function timedWrites(
  documents: DocumentStore,
  writes: readonly DeltaWrite[],
  writers: number,
  after?: () => Promise<void>,
) {
  const resolved: number[] = new Array(writes.length);
  await withCallers([...writes.keys()], writers, async (index) => {
    const { documentId, delta } = writes[index]!;
    expectEqual(await documents.addDelta(documentId, delta), true, 'addDelta');
    resolved[index] = sharedNow();
    await after?.();
  });
  return resolved;
}

/** From each write's `addDelta` resolving to B's listener hearing it (negative: B heard first). */
async function deliveries(listening: Listening, writes: readonly DeltaWrite[], resolved: readonly number[]) {
  const heard = await listening.on.heardAt(listening.handles[0]!, writeKeys(writes));
  return heard.map((at, index) => at - resolved[index]!);
}

async function deliveryLatency(context: ScenarioContext, b: FeedListeners, writers: number): Promise<void> {
  const { sizes, documents, postgres } = context;
  const listening = await listenOnB(documents, b);
  const writes = spreadWrites(`feed/${writers}`, sizes.feedDeltas, sizes.writeDocuments, sizes.clients);
  const resolved = await timedWrites(documents, writes, writers);
  await expectHeard([listening], writes);
  const delays = await deliveries(listening, writes, resolved);
  await b.unlisten(listening.handles);
  const floor = await postgres!.floor.notifyLatencies(writes.length, writers);
  context.record({
    id: `feed.latency.${writers}`,
    scenario: `change feed delivery, ${writers} writer(s)`,
    detail: `${count(writes.length)} deltas, from A's addDelta resolving to B's subscriber (B in a thread of its own)`,
    ours: latencyOf(delays),
    floor: latencyOf(floor),
    floorLabel: 'pg: pg_notify answered → a LISTEN connection hears it',
  });
}

/**
 * The same delivery while the server terminates B's listening connection three times: every delta must still
 * arrive, those written while it was away within `changeFeedMaxDelayMs` (the feed's own reading of the log).
 */
async function deliveryAcrossLostConnection(context: ScenarioContext, b: FeedListeners, writers: number) {
  const { sizes, documents, postgres } = context;
  const listening = await listenOnB(documents, b);
  const writes = spreadWrites(`feed/lost/${writers}`, sizes.feedDeltas, sizes.writeDocuments, sizes.clients);
  let written = 0;
  const cuts = [0.2, 0.45, 0.7].map((share) => Math.floor(share * writes.length));
  const resolved = await timedWrites(documents, writes, writers, async () => {
    if (cuts.includes(++written))
      await postgres!.query(`select pg_terminate_backend(pid) from pg_stat_activity
        where datname = current_database() and query ilike 'listen %'`);
  });
  await expectHeard([listening], writes);
  const delays = await deliveries(listening, writes, resolved);
  await b.unlisten(listening.handles);
  context.record({
    id: `feed.lost.${writers}`,
    scenario: `change feed delivery, ${writers} writers, B's LISTEN connection terminated 3 times`,
    detail: `${count(writes.length)} deltas, all delivered; from A's addDelta resolving to B's subscriber`,
    ours: latencyOf(delays),
  });
}

const writeAll = (store: DocumentStore, writes: DeltaWrite[], callers: number) => () =>
  withCallers(writes, callers, async ({ documentId, delta }) =>
    expectEqual(await store.addDelta(documentId, delta), true, 'addDelta'),
  );

/** A's addDelta with one all-documents subscriber on B, against the floor's same transaction (no feed at all). */
async function writeRateVsFloor(context: ScenarioContext, b: FeedListeners, callers: number): Promise<void> {
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
    let listening: Listening | undefined;
    const setUp = async (): Promise<void> => void (listening = await listenOnB(documents, b));
    const tearDown = async (): Promise<void> => {
      await expectHeard([listening!], writes);
      await b.unlisten(listening!.handles);
    };
    const floorSide = () =>
      withCallers(floorWrites, callers, async ({ documentId, delta }) =>
        expectEqual(await floor.addDeltas(documentId, [delta]), 1, 'floor addDelta'),
      );
    return {
      ops: sizes.writeDeltas,
      sides: { ours: { setUp, run: writeAll(documents, writes, callers), tearDown }, floor: floorSide },
    };
  }, context.sizes.writeRounds[context.driver]);
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
async function writeRateWithSubscribers(context: ScenarioContext, b: FeedListeners, callers: number) {
  const { sizes, documents, provider } = context;
  const a = localListeners(provider);
  const rates = await context.rates(async (round) => {
    const [subscribed, alone] = ['on', 'off'].map((side) =>
      spreadWrites(`feed/rate/${callers}/${side}/${round}`, sizes.writeDeltas, sizes.writeDocuments, sizes.clients),
    );
    const documentIds = [...new Set(subscribed!.map((write) => write.documentId))];
    const groups: Listening[] = [];
    const setUp = async (): Promise<void> => {
      const onB = { on: b, handles: [] as number[] };
      for (let i = 0; i < sizes.feedSubscribers; i++)
        onB.handles.push(await b.listen(documentIds[i % documentIds.length]!));
      const onA = { on: a, handles: [] as number[] };
      for (let i = 0; i < SUBSCRIBERS_ON_A; i++) onA.handles.push(await a.listen(null));
      groups.push(onB, onA);
      await marker(documents, documentIds[0]!, groups);
    };
    // Every subscriber must have heard every delta of its document before it goes.
    const tearDown = async (): Promise<void> => {
      await expectHeard(groups, subscribed!);
      for (const { on, handles } of groups.splice(0)) await on.unlisten(handles);
    };
    return {
      ops: sizes.writeDeltas,
      sides: {
        ours: { setUp, run: writeAll(documents, subscribed!, callers), tearDown },
        floor: writeAll(documents, alone!, callers),
      },
    };
  }, context.sizes.writeRounds[context.driver]);
  context.record({
    id: `feed.writeRate.${callers}`,
    scenario: `addDelta, ${callers} callers, ${sizes.feedSubscribers} subscribers on B, ${SUBSCRIBERS_ON_A} on A`,
    detail: `${count(sizes.writeDeltas)} deltas, ${sizes.writeDocuments} documents`,
    ours: rates.get('ours')!,
    floor: rates.get('floor')!,
    floorLabel: 'the same writes, no subscriber anywhere',
  });
}
