import type { StorageDriver } from './contract/types.js';
import type { PreparedDelta } from './contract/validation.js';

/** Attributes of one measurement, as OpenTelemetry takes them (the storage's are all strings). */
export type StorageMetricAttributes = Record<string, string>;

/** What the storage passes when it creates an instrument (the part of OpenTelemetry's `MetricOptions` it uses). */
export interface StorageInstrumentOptions {
  /** What the instrument measures, in a sentence. */
  description?: string;
  /** Its unit, in UCUM (`s`, `By`) or an annotation for a count (`{call}`). */
  unit?: string;
  /** Histograms: the bucket boundaries the storage suggests. */
  advice?: {
    /** Upper bounds of the histogram's buckets, ascending. */
    explicitBucketBoundaries?: number[];
  };
}

/**
 * The part of an OpenTelemetry `Meter` (`metrics.getMeter(...)` of `@opentelemetry/api`) the storage uses,
 * typed by shape so that the root entry's types need no OpenTelemetry installed.
 */
export interface StorageMeter {
  /** Creates the histogram `name` (called once per instrument, when the provider is built). */
  createHistogram(
    name: string,
    options?: StorageInstrumentOptions,
  ): {
    /** Records one value with its attributes (called on every measured store call). */
    record(value: number, attributes?: StorageMetricAttributes): void;
  };
  /** Creates the counter `name` (once, when the provider is built). */
  createCounter(
    name: string,
    options?: StorageInstrumentOptions,
  ): {
    /** Adds `value` (called when the change feed refills). */
    add(value: number, attributes?: StorageMetricAttributes): void;
  };
  /** Creates the observable gauge `name` (once, when the provider is built); read at each collection. */
  createObservableGauge(
    name: string,
    options?: StorageInstrumentOptions,
  ): {
    /** `callback` reports the current values whenever the app's exporter collects. */
    addCallback(
      callback: (result: { observe(value: number, attributes?: StorageMetricAttributes): void }) => void,
    ): void;
  };
}

/** Seconds, from 0.25 ms to 10 s: a memory call, a PostgreSQL round trip, a slow group commit. */
const DURATION_BUCKETS = [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Seconds, from 0.1 ms to 30 s: a local delivery, a hint's round trip, a poll after a lost hint. */
const DELAY_BUCKETS = [0.0001, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Calls per group commit, up to the largest groups the queue builds. */
const GROUP_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];
/**
 * How many documents the deltas-since-snapshot gauges report: the ones this provider wrote to most recently.
 * Each costs one small map entry and two data points per collection, so memory stays bounded whatever the
 * number of documents.
 */
export const MAX_TRACKED_DOCUMENTS = 1_000;

/** Why the change feed read a change that no notification brought (attribute `sync_storage.refill.reason`). */
export type RefillReason = 'gap' | 'poll' | 'resync';

/** A store call's instruments, with its attribute objects built once (the SDK hashes them on every record). */
export interface MeasuredOperation {
  ok(started: number): void;
  failed(started: number, error: unknown): void;
}

/** Deltas and bytes a document received since its last snapshot, as this provider saw them. */
interface SinceSnapshot {
  deltas: number;
  bytes: number;
  attributes: StorageMetricAttributes;
  /** When it was last (re)inserted into the map, counted in insertions. */
  inserted: number;
}

/**
 * One provider's instruments (names and units: docs/OBSERVABILITY.md). Build it with `StorageMetrics.on`,
 * which answers undefined for the API's no-op meter, so an app without an SDK pays nothing per call.
 */
export class StorageMetrics {
  private readonly duration;
  private readonly groupSize;
  private readonly poolWait;
  private readonly delay;
  private readonly refills;
  private readonly driverAttributes: StorageMetricAttributes;
  private readonly sourceAttributes: Record<'local' | 'remote', StorageMetricAttributes>;
  private readonly refillAttributes: Record<RefillReason, StorageMetricAttributes>;
  /** Least recently written first (nearly: see `deltasAdded`): the first entry goes when the map is full. */
  private readonly documents = new Map<string, SinceSnapshot>();
  private insertions = 0;

  private constructor(
    meter: StorageMeter,
    private readonly driver: StorageDriver,
    duration: ReturnType<StorageMeter['createHistogram']>,
  ) {
    this.duration = duration;
    this.driverAttributes = { 'sync_storage.driver': driver };
    const withDriver = (name: string, value: string): StorageMetricAttributes => ({
      ...this.driverAttributes,
      [name]: value,
    });
    this.sourceAttributes = {
      local: withDriver('sync_storage.change.source', 'local'),
      remote: withDriver('sync_storage.change.source', 'remote'),
    };
    this.refillAttributes = {
      gap: withDriver('sync_storage.refill.reason', 'gap'),
      poll: withDriver('sync_storage.refill.reason', 'poll'),
      resync: withDriver('sync_storage.refill.reason', 'resync'),
    };
    this.groupSize = histogram(
      meter,
      'sync_storage.write.group.size',
      '{call}',
      GROUP_BUCKETS,
      'addDeltas calls committed together in one transaction (postgres group commit).',
    );
    this.poolWait = histogram(
      meter,
      'sync_storage.pool.wait.duration',
      's',
      DURATION_BUCKETS,
      'Time a storage call waited for a connection of the pool (postgres).',
    );
    this.delay = histogram(
      meter,
      'sync_storage.feed.delivery.delay',
      's',
      DELAY_BUCKETS,
      'Time from a change being committed to the change feed handing it to its subscribers.',
    );
    this.refills = meter.createCounter('sync_storage.feed.refills', {
      description: 'Changes the feed read from storage that no notification brought, and resyncs it published.',
      unit: '{change}',
    });
    this.gauge(meter, 'deltas', '{delta}', 'Deltas');
    this.gauge(meter, 'bytes', 'By', 'Delta data');
  }

  /** `sync_storage.document.<what>_since_snapshot`: each reported document's count, read at each collection. */
  private gauge(meter: StorageMeter, what: 'deltas' | 'bytes', unit: string, noun: string): void {
    meter
      .createObservableGauge(`sync_storage.document.${what}_since_snapshot`, {
        description: `${noun} this instance stored in a document since its last snapshot (recently written documents).`,
        unit,
      })
      .addCallback((result) => {
        for (const entry of this.documents.values()) result.observe(entry[what], entry.attributes);
      });
  }

  /** The instruments on `meter`, or undefined when it is OpenTelemetry's no-op meter (no SDK registered). */
  static on(meter: StorageMeter, driver: StorageDriver): StorageMetrics | undefined {
    const duration = histogram(
      meter,
      'sync_storage.operation.duration',
      's',
      DURATION_BUCKETS,
      'Duration of a storage call on its driver, after argument validation.',
    );
    // The API hands out one shared no-op instrument of this class when no SDK was registered before the
    // meter was taken; such a meter stays a no-op for good.
    if (duration.constructor.name === 'NoopHistogramMetric') return undefined;
    return new StorageMetrics(meter, driver, duration);
  }

  /** The instruments of store call `operation`: `ok` and `failed` record its duration from `started` (ms). */
  operation(operation: string): MeasuredOperation {
    // Two attributes: the SDK's cost per record grows with their number. A failure adds `error.type`, as
    // OpenTelemetry's semantic conventions do (its absence means success).
    const ok: StorageMetricAttributes = { 'sync_storage.operation': operation, ...this.driverAttributes };
    const failures = new Map<string, StorageMetricAttributes>();
    return {
      ok: (started) => this.duration.record((performance.now() - started) / 1000, ok),
      failed: (started, error) => {
        const type = error instanceof Error ? error.name : typeof error;
        let attributes = failures.get(type);
        if (!attributes) {
          attributes = { ...ok, 'error.type': type };
          failures.set(type, attributes);
        }
        this.duration.record((performance.now() - started) / 1000, attributes);
      },
    };
  }

  writeGroup(calls: number): void {
    this.groupSize.record(calls, this.driverAttributes);
  }

  /** A call got a pooled connection (or gave up) after waiting since `started` (performance.now()). */
  waitedForConnection(started: number): void {
    this.poolWait.record((performance.now() - started) / 1000, this.driverAttributes);
  }

  /** The feed handed a change committed at `committedAt` (performance.now() timeline) to its subscribers. */
  delivered(committedAt: number, source: 'local' | 'remote'): void {
    this.delay.record(Math.max(0, performance.now() - committedAt) / 1000, this.sourceAttributes[source]);
  }

  refilled(reason: RefillReason): void {
    this.refills.add(1, this.refillAttributes[reason]);
  }

  /** `added` of `deltas` were new in `documentId`: its deltas since the last snapshot grow. */
  deltasAdded(documentId: string, deltas: readonly PreparedDelta[], added: number): void {
    if (added === 0) return;
    let bytes = 0;
    for (const delta of deltas) bytes += delta.dataBytes?.byteLength ?? delta.dataJson!.length;
    // A call with resends among its deltas: which ones were new is not known here, the size is shared out.
    if (added < deltas.length) bytes = Math.round((bytes * added) / deltas.length);
    const entry = this.documents.get(documentId);
    if (entry) {
      entry.deltas += added;
      entry.bytes += bytes;
      // Moved to the end only from the older half: a hot document costs one lookup per write, and every
      // document written within the last MAX_TRACKED_DOCUMENTS / 2 insertions stays.
      if (this.insertions - entry.inserted > MAX_TRACKED_DOCUMENTS / 2) {
        this.documents.delete(documentId);
        entry.inserted = ++this.insertions;
        this.documents.set(documentId, entry);
      }
      return;
    }
    if (this.documents.size >= MAX_TRACKED_DOCUMENTS) this.documents.delete(this.documents.keys().next().value!);
    this.documents.set(documentId, {
      deltas: added,
      bytes,
      attributes: { 'sync_storage.document.id': documentId, 'sync_storage.driver': this.driver },
      inserted: ++this.insertions,
    });
  }

  /** A snapshot of `documentId` was saved: nothing since it, until the next write. */
  snapshotSaved(documentId: string): void {
    const entry = this.documents.get(documentId);
    if (entry) entry.deltas = entry.bytes = 0;
  }

  /** `documentId` was deleted: it is no longer reported. */
  documentRemoved(documentId: string): void {
    this.documents.delete(documentId);
  }
}

function histogram(meter: StorageMeter, name: string, unit: string, buckets: number[], description: string) {
  return meter.createHistogram(name, { description, unit, advice: { explicitBucketBoundaries: buckets } });
}
