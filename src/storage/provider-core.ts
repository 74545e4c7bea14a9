import { ChangeHub, type ChangeEvent, type ChangeHubHooks } from './changes/change-hub.js';
import type { AwarenessBackend, DocumentBackend } from './contract/backend.js';
import { StorageUnavailableError } from './contract/errors.js';
import type { ResolvedStorageOptions } from './contract/options.js';
import type { StorageDriver, StorageHealth } from './contract/types.js';
import { ValidatedAwarenessStore } from './contract/validated-awareness-store.js';
import { ValidatedDocumentStore } from './contract/validated-document-store.js';
import type { PreparedDelta } from './contract/validation.js';
import { StorageMetrics, type StorageMeter } from './storage-metrics.js';

/** What `checkHealth` says of a closed provider. */
export const CLOSED_HEALTH_MESSAGE = 'storage provider is closed';

/**
 * What every provider holds once, above its driver: whether it is open (and the one error a closed provider
 * answers with), the validated stores, and the change feed's fan-out. Every call of a store on its driver
 * passes `run`, so a driver never checks whether it is closed and timing has one place to hook in.
 */
export class ProviderCore {
  readonly hub: ChangeHub;
  /** Set with the `metrics` option, unless its meter is OpenTelemetry's no-op one. */
  readonly metrics: StorageMetrics | undefined;
  /** Set by `close()`: every call then fails with `closedError()`. */
  closed = false;

  constructor(
    readonly driver: StorageDriver,
    meter?: StorageMeter,
    hooks?: ChangeHubHooks,
  ) {
    this.hub = new ChangeHub(hooks, () => this.closedError());
    this.metrics = meter && StorageMetrics.on(meter, driver);
  }

  closedError(): StorageUnavailableError {
    return new StorageUnavailableError(`the ${this.driver} storage provider is closed`);
  }

  /** The validated stores of `options` over a driver's backends. */
  stores(documents: DocumentBackend, awareness: AwarenessBackend, options: ResolvedStorageOptions) {
    return {
      documents: new ValidatedDocumentStore(this.gated(documents), options),
      awareness: new ValidatedAwarenessStore(this.gated(awareness), options),
    };
  }

  /**
   * The backend as the stores see it: each of its methods refused once the provider is closed, and timed
   * when metrics are on. The wrapper of each method is built once, on its first call.
   */
  private gated<Backend extends object>(backend: Backend): Backend {
    const wrapped = new Map<PropertyKey, unknown>();
    return new Proxy(backend, {
      get: (target, key, receiver) => {
        const value: unknown = Reflect.get(target, key, receiver);
        if (typeof value !== 'function') return value;
        let method = wrapped.get(key);
        if (!method) wrapped.set(key, (method = this.guarded(target, String(key), value as Method)));
        return method;
      },
    });
  }

  private guarded(target: object, name: string, method: Method): Method {
    const metrics = this.metrics;
    if (!metrics) return (...args) => (this.closed ? Promise.reject(this.closedError()) : method.apply(target, args));
    const measured = metrics.operation(name);
    const after = afterCall(metrics, name);
    return (...args) => {
      if (this.closed) return Promise.reject(this.closedError());
      const started = performance.now();
      return method.apply(target, args).then(
        (value) => {
          measured.ok(started);
          after?.(args, value);
          return value;
        },
        (error: unknown) => {
          measured.failed(started, error);
          throw error;
        },
      );
    };
  }

  /** A change written by this instance, published at once (nothing is built for a feed nobody listens to). */
  publishLocal(change: ChangeEvent): void {
    if (!this.hub.active) return;
    // Content changes someone follows, as the postgres feed measures them (awareness is not a commit).
    const measured =
      this.metrics && change.kind !== 'awareness' && change.documentId !== null && this.hub.follows(change.documentId);
    const committedAt = measured ? performance.now() : 0;
    this.hub.publish({ ...change, source: 'local' });
    if (measured) this.metrics!.delivered(committedAt, 'local');
  }

  /** The driver's check while open; once closed, unhealthy without asking it. */
  async checkHealth(check: () => Promise<StorageHealth>): Promise<StorageHealth> {
    if (!this.closed) return check();
    return { healthy: false, driver: this.driver, latencyMs: 0, message: CLOSED_HEALTH_MESSAGE };
  }

  /** Marks the provider closed and completes the feed; false when it already was. */
  close(): boolean {
    if (this.closed) return false;
    this.closed = true;
    this.hub.close();
    return true;
  }
}

type Method = (...args: unknown[]) => Promise<unknown>;

/** What a successful document write tells the deltas-since-snapshot gauges; undefined for other calls. */
function afterCall(metrics: StorageMetrics, name: string): ((args: unknown[], value: unknown) => void) | undefined {
  switch (name) {
    case 'addDeltas':
      return (args, added) => metrics.deltasAdded(args[0] as string, args[1] as PreparedDelta[], added as number);
    case 'saveSnapshot':
      return (args) => metrics.snapshotSaved(args[0] as string);
    case 'delete':
    case 'erase':
      return (args, removed) => removed && metrics.documentRemoved(args[0] as string);
    default:
      return undefined;
  }
}
