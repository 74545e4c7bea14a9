import { metrics as openTelemetry } from '@opentelemetry/api';
import {
  MeterProvider,
  MetricReader,
  type GaugeMetricData,
  type HistogramMetricData,
  type SumMetricData,
} from '@opentelemetry/sdk-metrics';
import { DeltaConflictError, StorageValidationError } from '../../src/index.js';
import { resolveStorageOptions } from '../../src/storage/contract/options.js';
import { MemoryStorageProvider } from '../../src/storage/memory/memory-storage.provider.js';
import { MAX_TRACKED_DOCUMENTS } from '../../src/storage/storage-metrics.js';
import { recordChanges } from '../conformance/change-recorder.js';
import { makeDelta } from '../conformance/conformance-helpers.js';
import { uniqueName } from '../support/postgres.js';
import { DRIVERS, lazyTargets } from '../support/storage-targets.js';

/** A reader the test collects from when it wants (the SDK's pull model, as a Prometheus scrape does). */
class CollectingReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}

  /** The data points of histogram `name`, each as its attributes and how many values it counted and summed. */
  async histogram(name: string): Promise<{ attributes: Record<string, unknown>; count: number; sum: number }[]> {
    const metric = (await this.metric(name)) as HistogramMetricData | undefined;
    return (metric?.dataPoints ?? []).map((point) => ({
      attributes: point.attributes,
      count: point.value.count,
      sum: point.value.sum ?? 0,
    }));
  }

  /** The data points of counter or gauge `name`, each as its attributes and value. */
  async values(name: string): Promise<{ attributes: Record<string, unknown>; value: number }[]> {
    const metric = (await this.metric(name)) as SumMetricData | GaugeMetricData | undefined;
    return (metric?.dataPoints ?? []).map((point) => ({ attributes: point.attributes, value: point.value }));
  }

  private async metric(name: string) {
    const { resourceMetrics } = await this.collect();
    return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).find((each) => each.descriptor.name === name);
  }
}

const targets = lazyTargets();

afterAll(() => targets.dispose());

function meterWithReader() {
  const reader = new CollectingReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  return { reader, meter: meterProvider.getMeter('nest-sync-storage-test') };
}

describe.each(DRIVERS)('metrics of the %s driver', (driver) => {
  it('record each store call by operation and driver, with the error type of a failed one', async () => {
    const { reader, meter } = meterWithReader();
    const provider = await (await targets.get(driver)).createProvider({ metrics: meter });
    await provider.documents.addDelta('doc', makeDelta('a1', 'a', 1));
    await provider.documents.getDeltasSince('doc', null);
    await provider.documents.getDeltasSince('doc', { a: 1 });
    await expect(provider.documents.addDelta('doc', makeDelta('other-a1', 'a', 1))).rejects.toThrow(DeltaConflictError);

    const points = await reader.histogram('sync_storage.operation.duration');
    const point = (operation: string, errorType?: string) =>
      points.find(
        ({ attributes }) =>
          attributes['sync_storage.operation'] === operation &&
          attributes['error.type'] === errorType &&
          attributes['sync_storage.driver'] === driver,
      );
    expect(point('getDeltasSince')?.count).toBe(2);
    expect(point('addDeltas')?.count).toBe(1);
    expect(point('addDeltas', 'DeltaConflictError')?.count).toBe(1);
    expect(point('getDeltasSince')!.sum).toBeGreaterThan(0);
  });

  it('record nothing for a call the provider refuses because it is closed', async () => {
    const { reader, meter } = meterWithReader();
    const provider = await (await targets.get(driver)).createProvider({ metrics: meter });
    await provider.close();
    await expect(provider.documents.exists('doc')).rejects.toThrow(/storage provider is closed/);
    expect(await reader.histogram('sync_storage.operation.duration')).toEqual([]);
  });
});

describe('metrics of the postgres group commit', () => {
  it('record how many addDeltas calls each transaction carried', async () => {
    const { reader, meter } = meterWithReader();
    const provider = await (await targets.get('postgres')).createProvider({ metrics: meter });
    await provider.documents.getOrCreate('busy');
    const calls = Array.from({ length: 12 }, (_, index) =>
      provider.documents.addDelta('busy', makeDelta(`d${index}`, `client-${index}`, 1)),
    );
    await Promise.all(calls);

    const [groups] = await reader.histogram('sync_storage.write.group.size');
    expect(groups).toMatchObject({ sum: 12, attributes: { 'sync_storage.driver': 'postgres' } });
    // Calls that waited behind the first transaction went together: fewer transactions than calls.
    expect(groups!.count).toBeLessThan(12);
  });
});

describe.each(DRIVERS)('metrics of the %s driver, per document and feed', (driver) => {
  it('report the deltas and bytes stored since the last snapshot of each written document, zero after a snapshot', async () => {
    const { reader, meter } = meterWithReader();
    const provider = await (await targets.get(driver)).createProvider({ metrics: meter });
    await provider.documents.addDeltas('busy', [
      makeDelta('b1', 'a', 1, { data: 'xxxx' }),
      makeDelta('b2', 'a', 2, { data: 'yyyy' }),
    ]);
    await provider.documents.addDelta('busy', makeDelta('b3', 'a', 3, { data: 'zzzz' }));
    await provider.documents.addDelta('busy', makeDelta('b3', 'a', 3, { data: 'zzzz' })); // a resend adds nothing
    await provider.documents.addDelta('quiet', makeDelta('q1', 'a', 1, { data: 'q' }));
    await provider.documents.saveSnapshot('quiet', new Uint8Array([1, 2]), { a: 1 });
    await provider.documents.addDelta('gone', makeDelta('g1', 'a', 1));
    await provider.documents.delete('gone');

    const deltas = await reader.values('sync_storage.document.deltas_since_snapshot');
    const bytes = await reader.values('sync_storage.document.bytes_since_snapshot');
    const of = (points: typeof deltas, documentId: string) =>
      points.find(({ attributes }) => attributes['sync_storage.document.id'] === documentId)?.value;
    expect(of(deltas, 'busy')).toBe(3);
    // Three JSON strings of four characters, stored as "xxxx" (six characters each).
    expect(of(bytes, 'busy')).toBe(18);
    expect(of(deltas, 'quiet')).toBe(0);
    expect(of(bytes, 'quiet')).toBe(0);
    expect(of(deltas, 'gone')).toBeUndefined();
  });

  it('record the delay from commit to delivery of each change handed to a subscriber', async () => {
    const { reader, meter } = meterWithReader();
    const provider = await (await targets.get(driver)).createProvider({ metrics: meter });
    const recorder = recordChanges(provider, 'watched');
    await provider.awareness.set('watched', 'marker', 1, 1);
    await recorder.until((changes) => changes.some((change) => change.kind === 'awareness'));
    await provider.documents.addDelta('watched', makeDelta('w1', 'a', 1));
    await provider.documents.addDelta('unwatched', makeDelta('u1', 'a', 1));
    await recorder.until((changes) => changes.some((change) => change.kind === 'deltas'));
    recorder.stop();

    const [delay, ...others] = await reader.histogram('sync_storage.feed.delivery.delay');
    expect(others).toEqual([]);
    expect(delay).toMatchObject({
      count: 1,
      attributes: { 'sync_storage.driver': driver, 'sync_storage.change.source': 'local' },
    });
    expect(delay!.sum).toBeGreaterThanOrEqual(0);
    expect(delay!.sum).toBeLessThan(5);
  });
});

describe('metrics of the postgres feed and pool', () => {
  it("count a change no notification brought as a refill, and its delay from the writer's commit", async () => {
    const { reader, meter } = meterWithReader();
    const target = await targets.get('postgres');
    const schema = uniqueName('refill');
    const writerSide = await target.createProvider({ schema });
    const subscriberSide = await target.createProvider({
      schema,
      migrate: false,
      metrics: meter,
      changeFeedMaxDelayMs: 50,
    });
    const recorder = recordChanges(subscriberSide, 'doc');
    await subscriberSide.awareness.set('doc', 'marker', 1, 1);
    await recorder.until((changes) => changes.some((change) => change.kind === 'awareness'));
    expect(await reader.values('sync_storage.feed.refills')).toEqual([]);

    // Closed in the same turn as the commit: the hint it would send at the next turn at the earliest never goes.
    await writerSide.documents.addDelta('doc', makeDelta('r1', 'a', 1));
    await writerSide.close();
    await recorder.until((changes) => changes.some((change) => change.kind === 'deltas'), 10_000);
    recorder.stop();

    expect(await reader.values('sync_storage.feed.refills')).toEqual([
      { attributes: { 'sync_storage.driver': 'postgres', 'sync_storage.refill.reason': 'poll' }, value: 1 },
    ]);
    const delays = await reader.histogram('sync_storage.feed.delivery.delay');
    const remote = delays.find(({ attributes }) => attributes['sync_storage.change.source'] === 'remote');
    expect(remote?.count).toBe(1);
    // Read by a poll every 50 ms: more than nothing, far less than the test's timeout.
    expect(remote!.sum).toBeGreaterThan(0);
    expect(remote!.sum).toBeLessThan(10);
  });

  /**
   * A subscriber of `doc` (with metrics, and no periodic read of the log within a test), a provider whose
   * hints reach it, and quiet writers whose hints never leave: each is closed right after its one call, before
   * the hint (sent at the event loop's next turn at the earliest) goes. What they write is read only when
   * something else makes the feed read.
   */
  async function subscriberAndQuietWriter(name: string) {
    const { reader, meter } = meterWithReader();
    const target = await targets.get('postgres');
    const schema = uniqueName(name);
    const quiet = await target.createProvider({ schema });
    const subscriberSide = await target.createProvider({
      schema,
      migrate: false,
      metrics: meter,
      changeFeedMaxDelayMs: 600_000,
    });
    const recorder = recordChanges(subscriberSide, 'doc', { keepResync: true });
    const hinting = await target.createProvider({ schema, migrate: false });
    // Another provider's presence arrives by notification only, so once one is heard the feed listens (one
    // sent before it listened is lost: sent again until heard). The delta after it is read by the feed's
    // first read after connecting or by the read its hint asks for: either way, in turn, before what follows.
    for (let clock = 1; !recorder.changes.some((change) => change.clientId === 'remote-marker'); clock++) {
      expect(clock).toBeLessThan(50);
      await hinting.awareness.set('doc', 'remote-marker', 1, clock);
      await recorder
        .until((changes) => changes.some((change) => change.clientId === 'remote-marker'), 200)
        .catch(() => undefined);
    }
    await hinting.documents.addDelta('doc', makeDelta('c0', 'b', 1));
    await recorder.until((changes) => changes.some((change) => change.deltaIds?.includes('c0')), 10_000);
    const refills = async (reason: string) =>
      (await reader.values('sync_storage.feed.refills')).find(
        ({ attributes }) => attributes['sync_storage.refill.reason'] === reason,
      );
    const quietWriter = () => target.createProvider({ schema, migrate: false });
    return { quiet, quietWriter, subscriberSide, hinting, recorder, refills };
  }

  it('count a resync when the versions a subscriber missed were compacted away before the feed read them', async () => {
    const { quiet, quietWriter, hinting, recorder, refills } = await subscriberAndQuietWriter('resync');
    const [snapshotting, compacting] = [await quietWriter(), await quietWriter()];
    await quiet.documents.addDelta('doc', makeDelta('c1', 'a', 1));
    await quiet.close();
    await snapshotting.documents.saveSnapshot('doc', new Uint8Array([1]), { a: 1, b: 1 });
    await snapshotting.close();
    await compacting.documents.compactDeltas('doc', { a: 1, b: 1 });
    await compacting.close();
    await hinting.documents.addDelta('doc', makeDelta('c2', 'a', 2));
    await recorder.until((changes) => changes.some((change) => change.deltaIds?.includes('c2')), 10_000);
    recorder.stop();

    expect(recorder.changes.filter((change) => change.kind === 'resync')).toHaveLength(1);
    expect(await refills('resync')).toEqual({
      attributes: { 'sync_storage.driver': 'postgres', 'sync_storage.refill.reason': 'resync' },
      value: 1,
    });
  });

  it("count as a gap refill a version read because the subscriber's own next write skipped past it", async () => {
    const { quiet, subscriberSide, recorder, refills } = await subscriberAndQuietWriter('gap');
    await quiet.documents.addDelta('doc', makeDelta('c1', 'a', 1));
    await quiet.close();
    // Delivered at once as this provider's own change: the version before it is read from the log first.
    await subscriberSide.documents.addDelta('doc', makeDelta('c2', 'a', 2));
    await recorder.until((changes) => changes.some((change) => change.deltaIds?.includes('c2')), 10_000);
    recorder.stop();

    expect(recorder.changes.flatMap((change) => change.deltaIds ?? [])).toEqual(['c0', 'c1', 'c2']);
    expect(await refills('gap')).toEqual({
      attributes: { 'sync_storage.driver': 'postgres', 'sync_storage.refill.reason': 'gap' },
      value: 1,
    });
  });

  it('record how long each call waited for a pooled connection', async () => {
    const { reader, meter } = meterWithReader();
    const provider = await (await targets.get('postgres')).createProvider({ metrics: meter, pool: { min: 0, max: 1 } });
    await Promise.all(Array.from({ length: 6 }, (_, index) => provider.documents.exists(`doc-${index}`)));

    const [wait] = await reader.histogram('sync_storage.pool.wait.duration');
    expect(wait).toMatchObject({ attributes: { 'sync_storage.driver': 'postgres' } });
    // Each call of this file's provider asks the pool once; six at once on one connection queue behind each other.
    expect(wait!.count).toBeGreaterThanOrEqual(6);
    expect(wait!.sum).toBeGreaterThan(0);
  });
});

describe('metrics over many documents', () => {
  it(`report at most ${MAX_TRACKED_DOCUMENTS} documents, the most recently written ones`, async () => {
    const { reader, meter } = meterWithReader();
    const provider = new MemoryStorageProvider(resolveStorageOptions({ driver: 'memory', metrics: meter }));
    const written = MAX_TRACKED_DOCUMENTS + 50;
    for (let index = 0; index < written; index++) {
      await provider.documents.addDelta(`doc-${index}`, makeDelta(`d${index}`, 'a', 1));
      // The first document is written again just before the map fills: it must outlive the ones after it.
      if (index === MAX_TRACKED_DOCUMENTS - 1) await provider.documents.addDelta('doc-0', makeDelta('again', 'a', 2));
    }

    const ids = (await reader.values('sync_storage.document.deltas_since_snapshot')).map(
      ({ attributes }) => attributes['sync_storage.document.id'],
    );
    expect(ids).toHaveLength(MAX_TRACKED_DOCUMENTS);
    expect(ids).toContain('doc-0');
    expect(ids).toContain(`doc-${written - 1}`);
    expect(ids).not.toContain('doc-1');
    await provider.close();
  });
});

describe('the metrics option', () => {
  it("records nothing, and builds no instruments beyond the first, on the API's no-op meter", async () => {
    const meter = openTelemetry.getMeter('no-sdk');
    const created: string[] = [];
    const counting = {
      createHistogram: (...args: Parameters<typeof meter.createHistogram>) => {
        created.push(args[0]);
        return meter.createHistogram(...args);
      },
      createCounter: (...args: Parameters<typeof meter.createCounter>) => {
        created.push(args[0]);
        return meter.createCounter(...args);
      },
      createObservableGauge: (...args: Parameters<typeof meter.createObservableGauge>) => {
        created.push(args[0]);
        return meter.createObservableGauge(...args);
      },
    };
    const provider = new MemoryStorageProvider(resolveStorageOptions({ driver: 'memory', metrics: counting }));
    await provider.documents.addDelta('doc', makeDelta('a1', 'a', 1));
    expect(created).toEqual(['sync_storage.operation.duration']);
    await provider.close();
  });

  it('refuses anything but a Meter, naming options.metrics', () => {
    expect(() => resolveStorageOptions({ driver: 'memory', metrics: {} })).toThrow(StorageValidationError);
    expect(() => resolveStorageOptions({ driver: 'memory', metrics: {} })).toThrow(/^options\.metrics/);
  });
});
