import { openStorageProvider, StorageValidationError, type StorageModuleOptions } from '../../src/index.js';

describe('openStorageProvider, the provider without Nest', () => {
  it('answers a ready memory provider that stores and reads, and closes', async () => {
    const provider = await openStorageProvider({ driver: 'memory' });
    try {
      const delta = { id: 'd1', clientId: 'a', timestamp: 1, data: { n: 1 }, vectorClock: { a: 1 } };
      expect(await provider.documents.addDelta('doc', delta)).toBe(true);
      expect(await provider.documents.getVectorClock('doc')).toEqual({ a: 1 });
      expect(await provider.checkHealth()).toMatchObject({ healthy: true });
    } finally {
      await provider.close();
    }
    await expect(provider.documents.getVectorClock('doc')).rejects.toThrow(/closed/);
  });

  it('rejects bad options with the error StorageModule gives, naming the option', async () => {
    const opened = openStorageProvider({ driver: 'memory', awarenessTimeoutMs: 0 } as StorageModuleOptions);
    await expect(opened).rejects.toBeInstanceOf(StorageValidationError);
    await expect(opened).rejects.toThrow(/options\.awarenessTimeoutMs/);
  });
});
