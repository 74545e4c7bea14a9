import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test, type TestingModule } from '@nestjs/testing';
import { AWARENESS_STORE, STORAGE_MODULE_OPTIONS, StorageModule, type AwarenessStore } from '../../src/index.js';
import { StorageOptionsFactory, StorageOptionsModule } from '../fixtures/storage-options.factory.js';

/** The timeout an awareness entry gets tells which options the provider was built with. */
async function appliedAwarenessTimeout(awareness: AwarenessStore): Promise<number> {
  await awareness.set('doc', 'client', { cursor: 1 }, 1);
  const entry = (await awareness.get('doc', 'client'))!;
  return entry.expiresAt.getTime() - entry.updatedAt.getTime();
}

describe('StorageModule.forRootAsync', () => {
  let moduleRef: TestingModule | undefined;

  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
  });

  describe('with useFactory, imports and inject', () => {
    beforeEach(async () => {
      moduleRef = await Test.createTestingModule({
        imports: [
          StorageModule.forRootAsync({
            imports: [
              ConfigModule.forRoot({
                ignoreEnvFile: true,
                ignoreEnvVars: true,
                load: [() => ({ AWARENESS_TIMEOUT_MS: 2500 })],
              }),
            ],
            inject: [ConfigService],
            useFactory: (config: ConfigService) => ({
              driver: 'memory' as const,
              awarenessTimeoutMs: config.getOrThrow<number>('AWARENESS_TIMEOUT_MS'),
            }),
          }),
        ],
      }).compile();
    });

    it('builds the options from an injected ConfigService value', () => {
      expect(moduleRef!.get(STORAGE_MODULE_OPTIONS)).toEqual({ driver: 'memory', awarenessTimeoutMs: 2500 });
    });

    it('builds the provider with those options', async () => {
      expect(await appliedAwarenessTimeout(moduleRef!.get(AWARENESS_STORE))).toBe(2500);
    });
  });

  it('with an async useFactory, waits for the options it resolves to', async () => {
    moduleRef = await Test.createTestingModule({
      imports: [
        StorageModule.forRootAsync({
          useFactory: async () => {
            await new Promise((resolve) => setImmediate(resolve));
            return { driver: 'memory' as const, awarenessTimeoutMs: 777 };
          },
        }),
      ],
    }).compile();
    expect(await appliedAwarenessTimeout(moduleRef.get(AWARENESS_STORE))).toBe(777);
  });

  it('with useClass, registers the class and takes the options from its create() method', async () => {
    moduleRef = await Test.createTestingModule({
      imports: [StorageModule.forRootAsync({ useClass: StorageOptionsFactory })],
    }).compile();
    expect(moduleRef.get(STORAGE_MODULE_OPTIONS)).toEqual({ driver: 'memory', awarenessTimeoutMs: 4321 });
    expect(await appliedAwarenessTimeout(moduleRef.get(AWARENESS_STORE))).toBe(4321);
  });

  it('with useExisting, calls create() on the instance an imported module already provides', async () => {
    moduleRef = await Test.createTestingModule({
      imports: [
        StorageOptionsModule,
        StorageModule.forRootAsync({ imports: [StorageOptionsModule], useExisting: StorageOptionsFactory }),
      ],
    }).compile();
    const shared = moduleRef.get(StorageOptionsFactory);
    // The very instance the host module owns was used: no second copy of the factory was built.
    expect(shared.createCalls).toBe(1);
    expect(await appliedAwarenessTimeout(moduleRef.get(AWARENESS_STORE))).toBe(4321);
  });

  it('with useExisting of a provider nobody exports, start-up fails', async () => {
    @Module({ providers: [StorageOptionsFactory] })
    class PrivateOptionsModule {}
    await expect(
      Test.createTestingModule({
        imports: [StorageModule.forRootAsync({ imports: [PrivateOptionsModule], useExisting: StorageOptionsFactory })],
      }).compile(),
    ).rejects.toThrow(/StorageOptionsFactory/);
  });
});
