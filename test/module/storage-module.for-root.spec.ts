import { Test, type TestingModule } from '@nestjs/testing';
import {
  AWARENESS_STORE,
  DOCUMENT_STORE,
  STORAGE_MODULE_OPTIONS,
  STORAGE_PROVIDER,
  StorageHealthIndicator,
  StorageModule,
  type AwarenessStore,
  type DocumentStore,
  type StorageProvider,
} from '../../src/index.js';
import { StorageConsumer } from '../fixtures/storage-consumer.module.js';

describe('StorageModule.forRoot', () => {
  let moduleRef: TestingModule;

  beforeEach(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [StorageModule.forRoot({ driver: 'memory', awarenessTimeoutMs: 1234 })],
      providers: [StorageConsumer],
    }).compile();
  });

  afterEach(async () => {
    await moduleRef.close();
  });

  it('registers a memory StorageProvider under STORAGE_PROVIDER', () => {
    const provider = moduleRef.get<StorageProvider>(STORAGE_PROVIDER);
    expect(provider.driver).toBe('memory');
  });

  it("registers the provider's own stores under DOCUMENT_STORE and AWARENESS_STORE", () => {
    const provider = moduleRef.get<StorageProvider>(STORAGE_PROVIDER);
    expect(moduleRef.get<DocumentStore>(DOCUMENT_STORE)).toBe(provider.documents);
    expect(moduleRef.get<AwarenessStore>(AWARENESS_STORE)).toBe(provider.awareness);
  });

  it('registers the options as given under STORAGE_MODULE_OPTIONS', () => {
    expect(moduleRef.get(STORAGE_MODULE_OPTIONS)).toEqual({ driver: 'memory', awarenessTimeoutMs: 1234 });
  });

  it('registers the StorageHealthIndicator', () => {
    expect(moduleRef.get(StorageHealthIndicator)).toBeInstanceOf(StorageHealthIndicator);
  });

  it('InjectStorageProvider, InjectDocumentStore and InjectAwarenessStore give a consumer the registered instances', () => {
    const consumer = moduleRef.get(StorageConsumer);
    const provider = moduleRef.get<StorageProvider>(STORAGE_PROVIDER);
    expect(consumer.provider).toBe(provider);
    expect(consumer.documents).toBe(provider.documents);
    expect(consumer.awareness).toBe(provider.awareness);
  });

  it("a consumer's writes through the injected store are read back through the provider", async () => {
    const consumer = moduleRef.get(StorageConsumer);
    await consumer.documents.addDelta('doc', {
      id: 'd1',
      clientId: 'a',
      timestamp: 1,
      data: { x: 1 },
      vectorClock: { a: 1 },
    });
    expect(await moduleRef.get<StorageProvider>(STORAGE_PROVIDER).documents.getVectorClock('doc')).toEqual({ a: 1 });
  });
});
