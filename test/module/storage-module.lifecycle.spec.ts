import { jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  AWARENESS_STORE,
  DOCUMENT_STORE,
  STORAGE_PROVIDER,
  StorageModule,
  StorageUnavailableError,
  StorageValidationError,
  type AwarenessStore,
  type DocumentStore,
  type StorageModuleOptions,
  type StorageProvider,
} from '../../src/index.js';
import { MemoryStorageProvider } from '../../src/storage/memory/memory-storage.provider.js';
import { startNestApp } from '../support/nest-app.js';

const startApp = (options: StorageModuleOptions = { driver: 'memory' }): Promise<INestApplication> =>
  startNestApp(StorageModule.forRoot(options));

describe('StorageModule lifecycle', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('initialises the provider once while the app starts, before anything can use it', async () => {
    const initialize = jest.spyOn(MemoryStorageProvider.prototype, 'initialize');
    const moduleRef = await Test.createTestingModule({
      imports: [StorageModule.forRoot({ driver: 'memory' })],
    }).compile();
    try {
      expect(initialize).toHaveBeenCalledTimes(1);
      expect(initialize.mock.contexts[0]).toBe(moduleRef.get(STORAGE_PROVIDER));
    } finally {
      await moduleRef.close();
    }
  });

  it('a provider that fails to initialise fails start-up and is closed', async () => {
    jest
      .spyOn(MemoryStorageProvider.prototype, 'initialize')
      .mockRejectedValueOnce(new Error('cannot reach the store'));
    const close = jest.spyOn(MemoryStorageProvider.prototype, 'close');
    await expect(
      Test.createTestingModule({ imports: [StorageModule.forRoot({ driver: 'memory' })] }).compile(),
    ).rejects.toThrow('cannot reach the store');
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('app.close() closes the provider: store calls then reject with StorageUnavailableError', async () => {
    const app = await startApp();
    const documents = app.get<DocumentStore>(DOCUMENT_STORE);
    const awareness = app.get<AwarenessStore>(AWARENESS_STORE);
    await documents.getOrCreate('doc');
    await app.close();
    await expect(documents.getOrCreate('doc')).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(awareness.getAll('doc')).rejects.toBeInstanceOf(StorageUnavailableError);
    expect((await app.get<StorageProvider>(STORAGE_PROVIDER).checkHealth()).healthy).toBe(false);
  });

  it('closing the app twice, or the provider again after the app, is harmless', async () => {
    const app = await startApp();
    const provider = app.get<StorageProvider>(STORAGE_PROVIDER);
    await app.close();
    await expect(app.close()).resolves.toBeUndefined();
    await expect(provider.close()).resolves.toBeUndefined();
    await expect(provider.documents.exists('doc')).rejects.toBeInstanceOf(StorageUnavailableError);
  });

  it('the provider is closed once per app shutdown', async () => {
    const close = jest.spyOn(MemoryStorageProvider.prototype, 'close');
    const app = await startApp();
    expect(close).not.toHaveBeenCalled();
    await app.close();
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('applies the configured awarenessTimeoutMs: an entry expires that long after it was written', async () => {
    const app = await startApp({ driver: 'memory', awarenessTimeoutMs: 45_000 });
    try {
      const awareness = app.get<AwarenessStore>(AWARENESS_STORE);
      await awareness.set('doc', 'client', { cursor: 3 }, 1);
      const entry = (await awareness.get('doc', 'client'))!;
      expect(entry.expiresAt.getTime() - entry.updatedAt.getTime()).toBe(45_000);
    } finally {
      await app.close();
    }
  });

  it('without awarenessTimeoutMs, an entry expires after the 30000 ms default', async () => {
    const app = await startApp();
    try {
      const awareness = app.get<AwarenessStore>(AWARENESS_STORE);
      await awareness.set('doc', 'client', null, 1);
      const entry = (await awareness.get('doc', 'client'))!;
      expect(entry.expiresAt.getTime() - entry.updatedAt.getTime()).toBe(30_000);
    } finally {
      await app.close();
    }
  });

  type Write = (documents: DocumentStore, bytes: number) => Promise<unknown>;
  const writeDelta: Write = (documents, bytes) =>
    documents.addDelta('doc', {
      id: `d${bytes}`,
      clientId: 'a',
      timestamp: 1,
      data: 'x'.repeat(bytes),
      vectorClock: { a: 1 },
    });
  const writeSnapshot: Write = (documents, bytes) => documents.saveSnapshot('doc', new Uint8Array(bytes), {});

  it.each<[string, StorageModuleOptions, Write, { tooLarge: number; fits: number }]>([
    ['maxDeltaBytes to deltas', { driver: 'memory', maxDeltaBytes: 128 }, writeDelta, { tooLarge: 200, fits: 1 }],
    [
      'maxSnapshotBytes to snapshots',
      { driver: 'memory', maxSnapshotBytes: 8 },
      writeSnapshot,
      { tooLarge: 9, fits: 8 },
    ],
  ])('applies the configured %s', async (_limit, options, write, { tooLarge, fits }) => {
    const app = await startApp(options);
    try {
      const documents = app.get<DocumentStore>(DOCUMENT_STORE);
      await expect(write(documents, tooLarge)).rejects.toBeInstanceOf(StorageValidationError);
      await expect(write(documents, fits)).resolves.not.toThrow();
    } finally {
      await app.close();
    }
  });
});
