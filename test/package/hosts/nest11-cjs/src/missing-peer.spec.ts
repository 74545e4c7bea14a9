import { Test } from '@nestjs/testing';
import { StorageModule } from 'nest-sync-storage';

// Runs while MikroORM is not installed: choosing the postgres driver names what to install. (That the driver
// is reached at all shows its lazy import runs under ts-jest's CommonJS, as require.)
describe('the postgres driver without MikroORM', () => {
  it('fails start-up naming the packages to install', async () => {
    const compiling = Test.createTestingModule({
      imports: [StorageModule.forRoot({ driver: 'postgres', clientUrl: 'postgresql://app:secret@127.0.0.1:9/db' })],
    }).compile();
    await expect(compiling).rejects.toThrow(
      /needs @mikro-orm\/core, @mikro-orm\/postgresql, @mikro-orm\/migrations .*npm install @mikro-orm\/core@6/,
    );
  });
});
