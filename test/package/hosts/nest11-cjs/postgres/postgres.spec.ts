import { Test } from '@nestjs/testing';
import { DOCUMENT_STORE, StorageModule, type DocumentStore } from 'nest-sync-storage';

// ts-jest's CommonJS loads the postgres driver and MikroORM with require(): no Jest config for either.
describe('the postgres driver under the starter Jest', () => {
  it('stores a delta and reads the document clock', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [StorageModule.forRoot({ driver: 'postgres', clientUrl: process.env.DATABASE_URL, schema: 'jest' })],
    }).compile();
    const documents = moduleRef.get<DocumentStore>(DOCUMENT_STORE);
    await documents.addDelta('doc', { id: 'd1', clientId: 'jest', timestamp: 1, data: [1], vectorClock: { jest: 1 } });
    expect(await documents.getVectorClock('doc')).toEqual({ jest: 1 });
    await moduleRef.close();
  });
});
