import { Controller, Get, Param } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { firstValueFrom, take, timeout, toArray } from 'rxjs';
import {
  AWARENESS_STORE,
  DOCUMENT_STORE,
  STORAGE_CHANGES,
  StorageHealthIndicator,
  type AwarenessStore,
  type DeltaData,
  type DocumentStore,
  type StorageChangeFeed,
  type StoredDelta,
} from 'nest-sync-storage';

const delta = (counter: number, data: DeltaData): StoredDelta => ({
  id: `d${counter}`,
  clientId: 'host',
  timestamp: counter,
  data,
  vectorClock: { host: counter },
});

/**
 * GET /probe/:id: one call of each kind on the storage the app registered (wherever it sits among the app's
 * modules), so a boot of the app exercises every statement of the driver and its change feed.
 */
@Controller('probe')
export class ProbeController {
  constructor(private readonly moduleRef: ModuleRef) {}

  @Get(':id')
  async probe(@Param('id') id: string) {
    const documents = this.find<DocumentStore>(DOCUMENT_STORE);
    const awareness = this.find<AwarenessStore>(AWARENESS_STORE);
    const announced = firstValueFrom(
      this.find<StorageChangeFeed>(STORAGE_CHANGES).changes(id).pipe(take(2), toArray(), timeout(10_000)),
    );
    const stored = [
      await documents.addDelta(id, delta(1, { n: 1 })),
      await documents.addDelta(id, delta(1, { n: 1 })),
      await documents.addDelta(id, delta(2, new Uint8Array([1, 2, 3]))),
    ];
    const deltas = await documents.getDeltasSince(id, { host: 0 });
    const changes = (await announced).map((change) => `${change.kind}:${change.deltaIds?.join(',')}`);
    await documents.saveSnapshot(id, new Uint8Array([9]), { host: 2 });
    const compacted = await documents.compactDeltas(id, { host: 1 });
    const afterSnapshot = await documents.getChangesSince(id, {});
    await awareness.set(id, 'alice', { cursor: 1 }, 1);
    const health = await this.find<StorageHealthIndicator>(StorageHealthIndicator).isHealthy();
    return {
      stored,
      caughtUp: deltas.map((each) => each.id),
      bytes: deltas[1]!.data instanceof Uint8Array ? Array.from(deltas[1]!.data) : null,
      changes,
      compacted,
      snapshot: Array.from(afterSnapshot.snapshot?.data ?? []),
      present: (await awareness.getAll(id)).map((entry) => entry.clientId),
      documents: await documents.getDocumentIds(),
      health: health.storage.status,
    };
  }

  private find<T>(token: unknown): T {
    return this.moduleRef.get<T>(token as string, { strict: false });
  }
}
