import { Test } from '@nestjs/testing';
import { STORAGE_PROVIDER, type StorageProvider } from 'nest-sync-storage';
import { StorageConfigModule } from './storage-config.module';

// The README's forRootAsync with @nestjs/config 4 (the Nest 11 line) under the starter Jest: CommonJS all along.
describe("the README's StorageConfigModule", () => {
  it('reads DATABASE_URL through ConfigService and runs the postgres driver', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [StorageConfigModule] }).compile();
    await moduleRef.init();
    const provider = moduleRef.get<StorageProvider>(STORAGE_PROVIDER, { strict: false });
    expect(provider.driver).toBe('postgres');
    expect((await provider.checkHealth()).healthy).toBe(true);
    await moduleRef.close();
  });
});
