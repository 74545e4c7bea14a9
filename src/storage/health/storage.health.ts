import { Inject, Injectable } from '@nestjs/common';
import type { StorageDriver, StorageHealth, StorageProvider } from '../contract/types.js';
import { STORAGE_PROVIDER } from '../storage.constants.js';

/** What the indicator reports under its key; `message` is one of the providers' fixed texts. */
export type StorageHealthStatus =
  | {
      /** The storage answered within `healthCheckTimeoutMs`. */
      status: 'up';
      /** The driver that answered. */
      driver: StorageDriver;
      /** How long the check took (ms, two decimals). */
      latencyMs: number;
    }
  | {
      /** The storage did not answer, or answered with an error, within `healthCheckTimeoutMs`. */
      status: 'down';
      /** The driver that was asked. */
      driver: StorageDriver;
      /** A fixed text: never a host, a password or a connection string. */
      message: string;
    };

/**
 * The shape of `@nestjs/terminus`'s `HealthIndicatorResult`, declared here so the package does not
 * load Terminus: `HealthCheckService.check` takes any function that returns it.
 */
export type StorageHealthIndicatorResult<Key extends string = 'storage'> = Record<Key, StorageHealthStatus>;

/** For a provider that breaks its promise to answer; what it threw may name hosts or credentials. */
const CHECK_FAILED = 'storage health check failed';
const UNHEALTHY = 'storage is unhealthy';

/**
 * A Terminus indicator for the storage: `up` with `{ driver, latencyMs }`, or `down` with the
 * provider's message. The provider's `checkHealth()` already answers within `healthCheckTimeoutMs`
 * and never rejects, so this asks it once and only reshapes the answer.
 */
@Injectable()
export class StorageHealthIndicator {
  constructor(@Inject(STORAGE_PROVIDER) private readonly provider: StorageProvider) {}

  /**
   * Asks the provider once and answers `{ [key]: status }` for Terminus's `HealthCheckService.check`; never
   * rejects, and answers within `healthCheckTimeoutMs` (one trivial query on PostgreSQL).
   */
  async isHealthy<const Key extends string = 'storage'>(
    key: Key = 'storage' as Key,
  ): Promise<StorageHealthIndicatorResult<Key>> {
    const health = await this.askProvider();
    const status: StorageHealthStatus = health.healthy
      ? { status: 'up', driver: health.driver, latencyMs: Math.round(health.latencyMs * 100) / 100 }
      : { status: 'down', driver: health.driver, message: health.message ?? UNHEALTHY };
    return { [key]: status } as StorageHealthIndicatorResult<Key>;
  }

  private async askProvider(): Promise<StorageHealth> {
    try {
      return await this.provider.checkHealth();
    } catch {
      return { healthy: false, driver: this.provider.driver, latencyMs: 0, message: CHECK_FAILED };
    }
  }
}
