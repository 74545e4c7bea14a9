import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  AWARENESS_STORE,
  DOCUMENT_STORE,
  StorageValidationError,
  type AwarenessStore,
  type DocumentStore,
} from '../../src/index.js';

// AppModule reads the environment when it is imported, so it is set first.
for (const name of Object.keys(process.env)) if (/^(STORAGE_|DATABASE_)/.test(name)) delete process.env[name];
process.env.AWARENESS_TIMEOUT_MS = '4000';
process.env.MAX_SNAPSHOT_BYTES = '16';
const { AppModule } = await import('../../src/app/app.module.js');

describe('AppModule configures the storage from the environment', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });

  afterAll(async () => {
    await app.close();
  });

  it('uses the memory driver when STORAGE_DRIVER is unset', async () => {
    const documents = app.get<DocumentStore>(DOCUMENT_STORE);
    await documents.getOrCreate('doc');
    expect(await documents.exists('doc')).toBe(true);
  });

  it('gives awareness entries the AWARENESS_TIMEOUT_MS lifetime', async () => {
    const awareness = app.get<AwarenessStore>(AWARENESS_STORE);
    await awareness.set('doc', 'client', { cursor: 0 }, 1);
    const entry = (await awareness.get('doc', 'client'))!;
    expect(entry.expiresAt.getTime() - entry.updatedAt.getTime()).toBe(4000);
  });

  it('limits snapshots to MAX_SNAPSHOT_BYTES', async () => {
    const documents = app.get<DocumentStore>(DOCUMENT_STORE);
    await expect(documents.saveSnapshot('doc', new Uint8Array(17), { a: 1 })).rejects.toBeInstanceOf(
      StorageValidationError,
    );
    await expect(documents.saveSnapshot('doc', new Uint8Array(16), { a: 1 })).resolves.toBeUndefined();
  });
});
