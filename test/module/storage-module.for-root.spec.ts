import { Test, type TestingModule } from '@nestjs/testing';
import {
  AWARENESS_STORE,
  DOCUMENT_STORE,
  STORAGE_CHANGES,
  STORAGE_MODULE_OPTIONS,
  STORAGE_PROVIDER,
  StorageHealthIndicator,
  StorageModule,
  type StorageModuleOptions,
  type StorageProvider,
} from '../../src/index.js';
import { StorageConsumer } from '../fixtures/storage-consumer.module.js';

const OPTIONS: StorageModuleOptions = { driver: 'memory', awarenessTimeoutMs: 1234 };

// Both ways of registering the module give a host the same providers.
describe.each([
  ['StorageModule.forRoot', () => StorageModule.forRoot(OPTIONS)],
  ['StorageModule.forRootAsync', () => StorageModule.forRootAsync({ useFactory: () => OPTIONS })],
])('%s', (_registration, register) => {
  let moduleRef: TestingModule;
  let provider: StorageProvider;

  beforeEach(async () => {
    moduleRef = await Test.createTestingModule({ imports: [register()], providers: [StorageConsumer] }).compile();
    provider = moduleRef.get(STORAGE_PROVIDER);
  });

  afterEach(async () => {
    await moduleRef.close();
  });

  it('registers a memory StorageProvider under STORAGE_PROVIDER', () => {
    expect(provider.driver).toBe('memory');
  });

  it("registers the provider's own stores under DOCUMENT_STORE and AWARENESS_STORE", () => {
    expect(moduleRef.get(DOCUMENT_STORE)).toBe(provider.documents);
    expect(moduleRef.get(AWARENESS_STORE)).toBe(provider.awareness);
  });

  it('registers the options as given under STORAGE_MODULE_OPTIONS', () => {
    expect(moduleRef.get(STORAGE_MODULE_OPTIONS)).toEqual(OPTIONS);
  });

  it('registers the StorageHealthIndicator', () => {
    expect(moduleRef.get(StorageHealthIndicator)).toBeInstanceOf(StorageHealthIndicator);
  });

  it('InjectStorageProvider, InjectDocumentStore, InjectAwarenessStore and InjectStorageChanges give a consumer the registered instances', () => {
    const consumer = moduleRef.get(StorageConsumer);
    expect(consumer.provider).toBe(provider);
    expect(consumer.documents).toBe(provider.documents);
    expect(consumer.awareness).toBe(provider.awareness);
    expect(consumer.changes).toBe(provider);
    expect(moduleRef.get(STORAGE_CHANGES)).toBe(provider);
  });

  it('the injected change feed hears a write made through the injected store', async () => {
    const consumer = moduleRef.get(StorageConsumer);
    const heard: unknown[] = [];
    const subscription = consumer.changes.changes('doc').subscribe((change) => heard.push(change));
    await consumer.documents.addDelta('doc', {
      id: 'd1',
      clientId: 'a',
      timestamp: 1,
      data: null,
      vectorClock: { a: 1 },
    });
    subscription.unsubscribe();
    expect(heard).toEqual([{ documentId: 'doc', kind: 'deltas', deltaIds: ['d1'], version: 1, source: 'local' }]);
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
    expect(await provider.documents.getVectorClock('doc')).toEqual({ a: 1 });
  });
});
