import { ChangeHub, type ChangeEvent, type ChangeHubHooks } from './changes/change-hub.js';
import type { AwarenessBackend, DocumentBackend } from './contract/backend.js';
import { StorageUnavailableError } from './contract/errors.js';
import type { ResolvedStorageOptions } from './contract/options.js';
import type { StorageDriver, StorageHealth } from './contract/types.js';
import { ValidatedAwarenessStore } from './contract/validated-awareness-store.js';
import { ValidatedDocumentStore } from './contract/validated-document-store.js';
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
  /** Set with the `metrics` option. */
  readonly metrics: StorageMetrics | undefined;
  /** Set by `close()`: every call then fails with `closedError()`. */
  closed = false;

  constructor(
    readonly driver: StorageDriver,
    meter?: StorageMeter,
    hooks?: ChangeHubHooks,
  ) {
    this.hub = new ChangeHub(hooks, () => this.closedError());
    this.metrics = meter && new StorageMetrics(meter, driver);
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

  /** Runs a store call on the driver, refused once the provider is closed, timed when metrics are on. */
  run<T>(operation: string, call: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(this.closedError());
    return this.metrics ? this.metrics.time(operation, call) : call();
  }

  /** The backend as the stores see it: each of its methods runs through `run`, named by the method. */
  private gated<Backend extends object>(backend: Backend): Backend {
    return new Proxy(backend, {
      get: (target, key, receiver) => {
        const value: unknown = Reflect.get(target, key, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) =>
          this.run(String(key), () => (value as (...args: unknown[]) => Promise<unknown>).apply(target, args));
      },
    });
  }

  /** A change written by this instance, published at once (nothing is built for a feed nobody listens to). */
  publishLocal(change: ChangeEvent): void {
    if (this.hub.active) this.hub.publish({ ...change, source: 'local' });
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
