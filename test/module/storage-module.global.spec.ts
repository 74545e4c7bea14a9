import { Test } from '@nestjs/testing';
import { STORAGE_MODULE_OPTIONS, STORAGE_PROVIDER, StorageModule } from '../../src/index.js';
import { StorageConsumer, StorageConsumerModule } from '../fixtures/storage-consumer.module.js';

// In every case the testing root imports StorageModule and, beside it, StorageConsumerModule,
// a feature module that does not import StorageModule.
describe('StorageModule isGlobal', () => {
  it('with forRoot isGlobal: true, a sibling module that does not import StorageModule can inject the stores', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [StorageModule.forRoot({ driver: 'memory', isGlobal: true }), StorageConsumerModule],
    }).compile();
    try {
      const consumer = moduleRef.get(StorageConsumer);
      expect(consumer.provider).toBe(moduleRef.get(STORAGE_PROVIDER));
      expect(consumer.documents).toBe(consumer.provider.documents);
      expect(consumer.awareness).toBe(consumer.provider.awareness);
    } finally {
      await moduleRef.close();
    }
  });

  it('with forRootAsync isGlobal: true, a sibling module that does not import StorageModule can inject the stores', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        StorageModule.forRootAsync({ isGlobal: true, useFactory: () => ({ driver: 'memory' as const }) }),
        StorageConsumerModule,
      ],
    }).compile();
    try {
      expect(moduleRef.get(StorageConsumer).provider).toBe(moduleRef.get(STORAGE_PROVIDER));
    } finally {
      await moduleRef.close();
    }
  });

  it('isGlobal is a module setting, not a storage option: the options token does not hold it', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [StorageModule.forRoot({ driver: 'memory', isGlobal: true })],
    }).compile();
    try {
      expect(moduleRef.get(STORAGE_MODULE_OPTIONS)).toEqual({ driver: 'memory' });
    } finally {
      await moduleRef.close();
    }
  });

  it.each([
    ['forRoot without isGlobal', () => StorageModule.forRoot({ driver: 'memory' })],
    ['forRoot with isGlobal: false', () => StorageModule.forRoot({ driver: 'memory', isGlobal: false })],
    [
      'forRootAsync without isGlobal',
      () => StorageModule.forRootAsync({ useFactory: () => ({ driver: 'memory' as const }) }),
    ],
  ])(
    'with %s, a sibling module that does not import StorageModule cannot inject the stores',
    async (_name, storage) => {
      await expect(Test.createTestingModule({ imports: [storage(), StorageConsumerModule] }).compile()).rejects.toThrow(
        /resolve dependencies of the StorageConsumer/,
      );
    },
  );
});
