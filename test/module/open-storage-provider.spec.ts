import { openStorageProvider, StorageValidationError, type StorageModuleOptions } from '../../src/index.js';
import { eventually, sleep } from '../fixtures/eventually.js';

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

  it('prunes expired presence on its own timer, as the module does, and stops quietly once closed', async () => {
    const warnings: string[] = [];
    const logger = { log: () => undefined, warn: (line: string) => warnings.push(line) };
    const options = { driver: 'memory', awarenessTimeoutMs: 20, awarenessPruneIntervalMs: 10 } as const;
    const provider = await openStorageProvider(options, { logger });
    try {
      await provider.awareness.set('doc', 'alice', { cursor: 1 }, 1);
      await sleep(40);
      // Expired and not pruned yet would be listed here; the timer removes it without being asked.
      await eventually(async () => (await provider.awareness.getExpired()).length === 0, 'the entry is pruned');
      expect(await provider.awareness.getAll('doc')).toEqual([]);
    } finally {
      await provider.close();
    }
    await sleep(50);
    expect(warnings).toEqual([]);
  });

  it('rejects bad options with the error StorageModule gives, naming the option', async () => {
    const opened = openStorageProvider({ driver: 'memory', awarenessTimeoutMs: 0 } as StorageModuleOptions);
    await expect(opened).rejects.toBeInstanceOf(StorageValidationError);
    await expect(opened).rejects.toThrow(/options\.awarenessTimeoutMs/);
  });
});
