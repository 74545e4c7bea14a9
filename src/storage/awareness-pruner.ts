import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { StorageError } from './contract/errors.js';
import type { ResolvedStorageOptions } from './contract/options.js';
import type { StorageProvider } from './contract/types.js';
import { STORAGE_PROVIDER } from './storage.constants.js';
import { RESOLVED_STORAGE_OPTIONS } from './storage.internal-constants.js';

/** A provider whose change log needs pruning (the postgres driver's). */
interface ChangeLogPruning {
  pruneChangeLog(): Promise<number>;
  pruneHistory(): Promise<number>;
}

/**
 * Prunes expired awareness entries (and the postgres driver's change log past its retention) every `awarenessPruneIntervalMs` while the app runs. The timer
 * is unref'd so it never keeps the process alive; pruning is a plain delete of expired rows, so
 * instances pruning side by side do not conflict.
 */
@Injectable()
export class AwarenessPruner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('StorageModule');
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    @Inject(RESOLVED_STORAGE_OPTIONS) private readonly options: ResolvedStorageOptions,
    @Inject(STORAGE_PROVIDER) private readonly provider: StorageProvider,
  ) {}

  onApplicationBootstrap(): void {
    if (this.options.awarenessPruneIntervalMs === 0) return;
    this.timer = setInterval(() => void this.prune(), this.options.awarenessPruneIntervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async prune(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.provider.awareness.pruneExpired();
      // The postgres driver's change log, past what the feed needs (see PostgresStorageProvider).
      await (this.provider as Partial<ChangeLogPruning>).pruneChangeLog?.();
      // History past historyRetentionMs, in bounded batches.
      await (this.provider as Partial<ChangeLogPruning>).pruneHistory?.();
    } catch (error) {
      // Only this package's errors have had their secrets stripped; anything else is logged by name.
      const reason =
        error instanceof StorageError ? error.message : error instanceof Error ? error.name : 'unknown error';
      this.logger.warn(`pruning expired awareness entries failed: ${reason}`);
    } finally {
      this.running = false;
    }
  }
}
