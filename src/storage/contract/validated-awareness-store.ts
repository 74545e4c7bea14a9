import type { AwarenessBackend, StorageLimits } from './backend.js';
import type { AwarenessEntry, AwarenessStore, JsonValue } from './types.js';
import { checkCounter, checkId, checkJson, checkOptions } from './validation.js';

/** The public `AwarenessStore`: checks every argument once, then hands it to the driver's backend. */
export class ValidatedAwarenessStore implements AwarenessStore {
  constructor(
    private readonly backend: AwarenessBackend,
    private readonly limits: StorageLimits,
  ) {}

  async get(documentId: string, clientId: string): Promise<AwarenessEntry | null> {
    return this.backend.get(checkId('documentId', documentId), checkId('clientId', clientId));
  }

  async getAll(documentId: string): Promise<AwarenessEntry[]> {
    return this.backend.getAll(checkId('documentId', documentId));
  }

  async set(
    documentId: string,
    clientId: string,
    state: JsonValue,
    clock: number,
    options?: { connectionId?: string },
  ): Promise<boolean> {
    const docId = checkId('documentId', documentId);
    const client = checkId('clientId', clientId);
    const stateJson = checkJson('state', state, {
      maxDepth: this.limits.maxJsonDepth,
      maxBytes: this.limits.maxAwarenessBytes,
    });
    const awarenessClock = checkCounter('clock', clock);
    const { connectionId } = checkOptions<{ connectionId: string | null }>('options', options);
    const connection =
      connectionId === undefined || connectionId === null ? null : checkId('connectionId', connectionId);
    return this.backend.set(docId, client, stateJson, awarenessClock, connection);
  }

  async remove(documentId: string, clientId: string): Promise<boolean> {
    return this.backend.remove(checkId('documentId', documentId), checkId('clientId', clientId));
  }

  async removeAllForConnection(connectionId: string): Promise<number> {
    return this.backend.removeAllForConnection(checkId('connectionId', connectionId));
  }

  async getExpired(): Promise<AwarenessEntry[]> {
    return this.backend.getExpired();
  }

  async pruneExpired(): Promise<number> {
    return this.backend.pruneExpired();
  }
}
