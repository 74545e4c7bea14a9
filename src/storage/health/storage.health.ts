import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { ResolvedStorageOptions } from '../contract/options.js';
import type { StorageHealth, StorageProvider } from '../contract/types.js';
import { RESOLVED_STORAGE_OPTIONS } from '../storage.internal-constants.js';
import { STORAGE_PROVIDER } from '../storage.constants.js';

/** Fixed messages: the driver's own text can hold hosts or credentials, so it never reaches /health. */
const TIMED_OUT = 'storage health check timed out';
const FAILED = 'storage health check failed';
const UNHEALTHY = 'storage is unhealthy';

/**
 * Terminus indicator for the storage: `up` with `{ driver, latencyMs }`, or `down` with a message.
 * It never throws and answers within `healthCheckTimeoutMs`, even when the database hangs.
 */
@Injectable()
export class StorageHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @Inject(STORAGE_PROVIDER) private readonly provider: StorageProvider,
    @Inject(RESOLVED_STORAGE_OPTIONS) private readonly options: ResolvedStorageOptions,
  ) {}

  async isHealthy<const Key extends string = 'storage'>(
    key: Key = 'storage' as Key,
  ): Promise<HealthIndicatorResult<Key>> {
    const indicator = this.indicators.check(key);
    const health = await this.checkWithin(this.options.healthCheckTimeoutMs);
    if (health.healthy) return indicator.up({ driver: health.driver, latencyMs: round(health.latencyMs) });
    return indicator.down({ driver: health.driver, message: health.message ?? UNHEALTHY });
  }

  private checkWithin(timeoutMs: number): Promise<StorageHealth> {
    const driver = this.provider.driver;
    return new Promise<StorageHealth>((resolve) => {
      const timer = setTimeout(
        () => resolve({ healthy: false, driver, latencyMs: timeoutMs, message: TIMED_OUT }),
        timeoutMs,
      );
      timer.unref();
      // Called inside then() so that a provider which throws synchronously is caught too.
      Promise.resolve()
        .then(() => this.provider.checkHealth())
        .then(
          (health) => {
            clearTimeout(timer);
            // An unhealthy answer keeps only its verdict: the driver's message may quote a connection string.
            resolve(health?.healthy === true ? health : { healthy: false, driver, latencyMs: 0 });
          },
          () => {
            clearTimeout(timer);
            resolve({ healthy: false, driver, latencyMs: 0, message: FAILED });
          },
        );
    });
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
