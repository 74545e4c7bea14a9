import { MeterProvider, MetricReader, type HistogramMetricData } from '@opentelemetry/sdk-metrics';
import { DeltaConflictError, StorageValidationError } from '../../src/index.js';
import { resolveStorageOptions } from '../../src/storage/contract/options.js';
import { makeDelta } from '../conformance/conformance-helpers.js';
import { DRIVERS, lazyTargets } from '../support/storage-targets.js';

/** A reader the test collects from when it wants (the SDK's pull model, as a Prometheus scrape does). */
class CollectingReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}

  /** The data points of histogram `name`, each as its attributes and how many values it counted and summed. */
  async histogram(name: string): Promise<{ attributes: Record<string, unknown>; count: number; sum: number }[]> {
    const { resourceMetrics } = await this.collect();
    const metric = resourceMetrics.scopeMetrics
      .flatMap((scope) => scope.metrics)
      .find((each) => each.descriptor.name === name) as HistogramMetricData | undefined;
    return (metric?.dataPoints ?? []).map((point) => ({
      attributes: point.attributes,
      count: point.value.count,
      sum: point.value.sum ?? 0,
    }));
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
  it('record each store call by operation, driver and outcome, with the error type of a failed one', async () => {
    const { reader, meter } = meterWithReader();
    const provider = await (await targets.get(driver)).createProvider({ metrics: meter });
    await provider.documents.addDelta('doc', makeDelta('a1', 'a', 1));
    await provider.documents.getDeltasSince('doc', null);
    await provider.documents.getDeltasSince('doc', { a: 1 });
    await expect(provider.documents.addDelta('doc', makeDelta('other-a1', 'a', 1))).rejects.toThrow(DeltaConflictError);

    const points = await reader.histogram('sync_storage.operation.duration');
    const point = (operation: string, outcome: string) =>
      points.find(
        ({ attributes }) =>
          attributes['sync_storage.operation'] === operation &&
          attributes['sync_storage.outcome'] === outcome &&
          attributes['sync_storage.driver'] === driver,
      );
    expect(point('getDeltasSince', 'ok')?.count).toBe(2);
    expect(point('addDeltas', 'ok')?.count).toBe(1);
    expect(point('addDeltas', 'error')).toMatchObject({ count: 1, attributes: { 'error.type': 'DeltaConflictError' } });
    expect(point('getDeltasSince', 'ok')!.sum).toBeGreaterThan(0);
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

describe('the metrics option', () => {
  it('refuses anything but a Meter, naming options.metrics', () => {
    expect(() => resolveStorageOptions({ driver: 'memory', metrics: {} })).toThrow(StorageValidationError);
    expect(() => resolveStorageOptions({ driver: 'memory', metrics: {} })).toThrow(/^options\.metrics/);
  });
});
