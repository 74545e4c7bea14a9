import type { StorageDriver } from './contract/types.js';

/**
 * The part of an OpenTelemetry `Meter` (`metrics.getMeter(...)` of `@opentelemetry/api`) the storage uses,
 * typed by shape so that the root entry's types need no OpenTelemetry installed.
 */
export interface StorageMeter {
  /** Creates the histogram `name` (called once per instrument, when the provider is built). */
  createHistogram(
    name: string,
    options?: { description?: string; unit?: string; advice?: { explicitBucketBoundaries?: number[] } },
  ): {
    /** Records one value with its attributes (called on every measured store call). */
    record(value: number, attributes?: Record<string, string>): void;
  };
}

/** Seconds, from 0.25 ms to 10 s: a memory call, a PostgreSQL round trip, a slow group commit. */
const DURATION_BUCKETS = [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Calls per group commit, up to the largest groups the queue builds. */
const GROUP_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/** One provider's instruments (names and units: docs/OBSERVABILITY.md). Recording costs one histogram update. */
export class StorageMetrics {
  private readonly duration;
  private readonly groupSize;
  private readonly ok = new Map<string, Record<string, string>>();

  constructor(
    meter: StorageMeter,
    private readonly driver: StorageDriver,
  ) {
    this.duration = meter.createHistogram('sync_storage.operation.duration', {
      description: 'Duration of a storage call on its driver, after argument validation.',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    });
    this.groupSize = meter.createHistogram('sync_storage.write.group.size', {
      description: 'addDeltas calls committed together in one transaction (postgres group commit).',
      unit: '{call}',
      advice: { explicitBucketBoundaries: GROUP_BUCKETS },
    });
  }

  /** Runs `call` and records its duration under `operation`, with `error.type` (the error's name) when it fails. */
  async time<T>(operation: string, call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const value = await call();
      this.duration.record((performance.now() - started) / 1000, this.okAttributes(operation));
      return value;
    } catch (error) {
      const type = error instanceof Error ? error.name : typeof error;
      this.duration.record((performance.now() - started) / 1000, {
        ...this.okAttributes(operation),
        'sync_storage.outcome': 'error',
        'error.type': type,
      });
      throw error;
    }
  }

  writeGroup(calls: number): void {
    this.groupSize.record(calls, { 'sync_storage.driver': this.driver });
  }

  /** One attribute object per operation, built once: the SDK hashes it on every record. */
  private okAttributes(operation: string): Record<string, string> {
    let attributes = this.ok.get(operation);
    if (!attributes) {
      attributes = {
        'sync_storage.operation': operation,
        'sync_storage.driver': this.driver,
        'sync_storage.outcome': 'ok',
      };
      this.ok.set(operation, attributes);
    }
    return attributes;
  }
}
