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
 * Writes markers until every listener has heard one: a subscription opens its provider's LISTEN connection
 * in the background, and a commit before it listens is never heard.
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
 * The change feed across two providers on one database (issue 12): how long after A's `addDelta` resolves B's
 * subscriber hears of it, with 1 and with 8 writers; and A's write rate with many subscribers attached.
 */
export const scenario: Scenario = {
  name: 'change feed',
  drivers: ['postgres'],
  async run(context) {
    const b = await context.postgres!.startProvider();
    try {
      for (const writers of [1, context.sizes.callers]) await deliveryLatency(context, b.provider, writers);
      await writeRateWithSubscribers(context, b.provider);
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

/** A's write rate with subscribers on both providers, against the same writes with no subscriber anywhere. */
async function writeRateWithSubscribers(context: ScenarioContext, b: StorageChangeFeed): Promise<void> {
  const { sizes, documents, provider: a } = context;
  const writeAll = (writes: DeltaWrite[]) => () =>
    withCallers(writes, sizes.callers, async ({ documentId, delta }) =>
      expectEqual(await documents.addDelta(documentId, delta), true, 'addDelta'),
    );
  const rates = await context.rates(async (round) => {
    const [subscribed, alone] = ['on', 'off'].map((side) =>
      spreadWrites(`feed/rate/${side}/${round}`, sizes.writeDeltas, sizes.writeDocuments, sizes.clients),
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
      for (const listener of listeners) listener.close();
    };
    return {
      ops: sizes.writeDeltas,
      sides: { ours: { setUp, run: writeAll(subscribed!), tearDown }, floor: writeAll(alone!) },
    };
  });
  context.record({
    id: 'feed.writeRate',
    scenario: `addDelta, ${sizes.callers} callers, ${sizes.feedSubscribers} subscribers on B, ${SUBSCRIBERS_ON_A} on A`,
    detail: `${count(sizes.writeDeltas)} deltas, ${sizes.writeDocuments} documents`,
    ours: rates.get('ours')!,
    floor: rates.get('floor')!,
    floorLabel: 'the same writes, no subscriber anywhere',
  });
}
