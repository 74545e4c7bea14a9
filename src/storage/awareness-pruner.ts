import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { StorageError, StorageUnavailableError } from './contract/errors.js';
import type { ResolvedStorageOptions } from './contract/options.js';
import type { StorageProvider } from './contract/types.js';
import { CLOSED_HEALTH_MESSAGE } from './provider-core.js';
import { STORAGE_PROVIDER } from './storage.constants.js';
import { RESOLVED_STORAGE_OPTIONS } from './storage.internal-constants.js';
import { defaultStorageLogger, type StorageLogger } from './storage.logger.js';

/** A provider whose change log and history need pruning (the drivers' own methods, beside the contract). */
interface Pruning {
  pruneChangeLog(): Promise<number>;
  pruneHistory(): Promise<number>;
}

/**
 * Prunes every `intervalMs`: expired awareness entries, the postgres driver's change log past what the feed
 * needs, and history past `historyRetentionMs` (in bounded batches). The timer is unref'd so it never keeps
 * the process alive, and it stops by itself once the provider is closed. Pruning is a plain delete of
 * expired rows, so instances pruning side by side do not conflict.
 */
export class StoragePruner {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly provider: StorageProvider,
    private readonly intervalMs: number,
    private readonly logger: StorageLogger = defaultStorageLogger(),
  ) {}

  /** Starts the timer (`intervalMs` 0: never). */
  start(): void {
    if (this.intervalMs === 0 || this.timer) return;
    this.timer = setInterval(() => void this.prune(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async prune(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.provider.awareness.pruneExpired();
      await (this.provider as Partial<Pruning>).pruneChangeLog?.();
      await (this.provider as Partial<Pruning>).pruneHistory?.();
    } catch (error) {
      if (error instanceof StorageUnavailableError && (await this.providerClosed())) return this.stop();
      // Only this package's errors have had their secrets stripped; anything else is logged by name.
      const reason =
        error instanceof StorageError ? error.message : error instanceof Error ? error.name : 'unknown error';
      this.logger.warn(`pruning expired awareness entries failed: ${reason}`);
    } finally {
      this.running = false;
    }
  }

  /** Whether the provider was closed: its health then says so without touching a database. */
  private async providerClosed(): Promise<boolean> {
    return (await this.provider.checkHealth()).message === CLOSED_HEALTH_MESSAGE;
  }
}

/** The module's pruning timer: a `StoragePruner` that runs while the app runs. */
@Injectable()
export class AwarenessPruner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly pruner: StoragePruner;

  constructor(
    @Inject(RESOLVED_STORAGE_OPTIONS) options: ResolvedStorageOptions,
    @Inject(STORAGE_PROVIDER) provider: StorageProvider,
  ) {
    this.pruner = new StoragePruner(provider, options.awarenessPruneIntervalMs);
  }

  onApplicationBootstrap(): void {
    this.pruner.start();
  }

  onApplicationShutdown(): void {
    this.pruner.stop();
  }
}
