import { StorageError, StorageUnavailableError, StorageValidationError } from '../index.js';
import type { ConformanceContextGetter } from './conformance-context.js';
import { describe, expect, it } from './runner.js';

export function lifecycleCases(context: ConformanceContextGetter): void {
  describe('provider lifecycle', () => {
    it('reports its driver', () => {
      const { provider, driver } = context();
      expect(provider.driver).toBe(driver);
    });

    it('initialize can be called again without losing data', async () => {
      const { provider, documents } = context();
      await documents.getOrCreate('doc');
      await provider.initialize();
      await provider.initialize();
      expect(await documents.exists('doc')).toBe(true);
    });

    it('checkHealth reports a healthy open provider with its driver and latency', async () => {
      const { provider, driver } = context();
      const health = await provider.checkHealth();
      expect(health).toMatchObject({ healthy: true, driver });
      expect(typeof health.latencyMs).toBe('number');
      expect(health.latencyMs).toBeGreaterThanOrEqual(0);
    });

    it('close can be called twice, and checkHealth still answers (unhealthy) afterwards', async () => {
      const { provider } = context();
      await provider.close();
      await provider.close();
      const health = await provider.checkHealth();
      expect(health.healthy).toBe(false);
      expect(typeof health.message).toBe('string');
    });

    it('calls on a closed provider reject with StorageUnavailableError', async () => {
      const { provider, documents, awareness } = context();
      await provider.close();
      await expect(documents.getOrCreate('doc')).rejects.toBeInstanceOf(StorageUnavailableError);
      await expect(awareness.getAll('doc')).rejects.toBeInstanceOf(StorageUnavailableError);
    });

    it('a validation error is a StorageError that carries the argument name', async () => {
      const error = await context()
        .documents.get('')
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageValidationError);
      expect(error).toBeInstanceOf(StorageError);
      expect(error).toMatchObject({ name: 'StorageValidationError', argument: 'documentId' });
    });
  });
}
