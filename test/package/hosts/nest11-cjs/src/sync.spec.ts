import { Test } from '@nestjs/testing';
import { AppModule } from './app.module';
import { SyncService } from './sync.service';

// The README's CommonJS AppModule and its SyncService under the starter Jest (ts-jest): memory, or postgres
// with DATABASE_URL.
describe("the README's module and service", () => {
  it('stores a delta once and catches a client up', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    await moduleRef.init();
    const sync = moduleRef.get(SyncService);
    const documentId = `sync-${Date.now()}`;
    const delta = { id: 'r1', clientId: 'readme', timestamp: 1, data: 'hello', vectorClock: { readme: 1 } };
    expect(await sync.receive(documentId, delta)).toEqual({ isNew: true, clock: { readme: 1 } });
    expect((await sync.receive(documentId, delta)).isNew).toBe(false);
    expect((await sync.catchUp(documentId, {})).deltas.map((each) => each.id)).toEqual(['r1']);
    await moduleRef.close();
  });
});
