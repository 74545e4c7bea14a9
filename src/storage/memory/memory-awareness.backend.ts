import type { ChangePublisher } from '../changes/change-hub.js';
import type { AwarenessBackend } from '../contract/backend.js';
import { compareCodePoints } from '../contract/code-point-order.js';
import { awarenessEntriesLimitError } from '../contract/errors.js';
import type { AwarenessEntry, JsonValue } from '../contract/types.js';

interface StoredEntry {
  documentId: string;
  clientId: string;
  connectionId: string | null;
  stateJson: string;
  clock: number;
  updatedAt: number;
  expiresAt: number;
}

/** Awareness entries in maps by document and by connection; expiry is checked against the clock on every read. */
export class MemoryAwarenessBackend implements AwarenessBackend {
  private readonly byDocument = new Map<string, Map<string, StoredEntry>>();
  private readonly byConnection = new Map<string, Set<StoredEntry>>();

  constructor(
    private readonly timeoutMs: number,
    private readonly maxEntriesPerDocument: number,
    private readonly publish: ChangePublisher,
  ) {}

  async get(documentId: string, clientId: string): Promise<AwarenessEntry | null> {
    const entry = this.byDocument.get(documentId)?.get(clientId);
    return entry && entry.expiresAt > Date.now() ? toEntry(entry) : null;
  }

  async getAll(documentId: string): Promise<AwarenessEntry[]> {
    const now = Date.now();
    const live = [...(this.byDocument.get(documentId)?.values() ?? [])].filter((entry) => entry.expiresAt > now);
    return live.sort((a, b) => compareCodePoints(a.clientId, b.clientId)).map(toEntry);
  }

  async set(
    documentId: string,
    clientId: string,
    stateJson: string,
    clock: number,
    connectionId: string | null,
  ): Promise<boolean> {
    const now = Date.now();
    let clients = this.byDocument.get(documentId);
    const existing = clients?.get(clientId);
    const live = existing !== undefined && existing.expiresAt > now;
    if (live && existing.clock >= clock) return false;
    if (!live && clients && this.liveCount(clients, now) >= this.maxEntriesPerDocument)
      throw awarenessEntriesLimitError(documentId, this.maxEntriesPerDocument);
    if (existing) this.unlinkConnection(existing);
    if (!clients) {
      clients = new Map();
      this.byDocument.set(documentId, clients);
    }
    const entry: StoredEntry = {
      documentId,
      clientId,
      connectionId,
      stateJson,
      clock,
      updatedAt: now,
      expiresAt: now + this.timeoutMs,
    };
    clients.set(clientId, entry);
    if (connectionId !== null) {
      let entries = this.byConnection.get(connectionId);
      if (!entries) this.byConnection.set(connectionId, (entries = new Set()));
      entries.add(entry);
    }
    this.publish({ documentId, kind: 'awareness', clientId });
    return true;
  }

  async remove(documentId: string, clientId: string): Promise<boolean> {
    const entry = this.byDocument.get(documentId)?.get(clientId);
    if (!entry) return false;
    this.delete(entry);
    this.publish({ documentId, kind: 'awareness', clientId });
    return entry.expiresAt > Date.now();
  }

  async removeAllForConnection(connectionId: string): Promise<number> {
    const now = Date.now();
    let live = 0;
    for (const entry of [...(this.byConnection.get(connectionId) ?? [])]) {
      this.delete(entry);
      this.publish({ documentId: entry.documentId, kind: 'awareness', clientId: entry.clientId });
      if (entry.expiresAt > now) live++;
    }
    return live;
  }

  async getExpired(): Promise<AwarenessEntry[]> {
    return this.expired(Date.now()).map(toEntry);
  }

  async pruneExpired(): Promise<number> {
    const expired = this.expired(Date.now());
    for (const entry of expired) {
      this.delete(entry);
      this.publish({ documentId: entry.documentId, kind: 'awareness', clientId: entry.clientId });
    }
    return expired.length;
  }

  /** Drops every entry under a document id (called when the document is deleted). */
  removeDocument(documentId: string): void {
    for (const entry of [...(this.byDocument.get(documentId)?.values() ?? [])]) this.delete(entry);
  }

  clear(): void {
    this.byDocument.clear();
    this.byConnection.clear();
  }

  /** Live entries of a document; counted only when the map is as large as the limit, so usually O(1). */
  private liveCount(clients: Map<string, StoredEntry>, now: number): number {
    if (clients.size < this.maxEntriesPerDocument) return clients.size;
    let live = 0;
    for (const entry of clients.values()) if (entry.expiresAt > now) live++;
    return live;
  }

  private expired(now: number): StoredEntry[] {
    const expired: StoredEntry[] = [];
    for (const clients of this.byDocument.values()) {
      for (const entry of clients.values()) if (entry.expiresAt <= now) expired.push(entry);
    }
    return expired;
  }

  private delete(entry: StoredEntry): void {
    const clients = this.byDocument.get(entry.documentId);
    if (clients?.get(entry.clientId) === entry) {
      clients.delete(entry.clientId);
      if (clients.size === 0) this.byDocument.delete(entry.documentId);
    }
    this.unlinkConnection(entry);
  }

  private unlinkConnection(entry: StoredEntry): void {
    if (entry.connectionId === null) return;
    const entries = this.byConnection.get(entry.connectionId);
    entries?.delete(entry);
    if (entries?.size === 0) this.byConnection.delete(entry.connectionId);
  }
}

function toEntry(entry: StoredEntry): AwarenessEntry {
  return {
    documentId: entry.documentId,
    clientId: entry.clientId,
    connectionId: entry.connectionId,
    state: JSON.parse(entry.stateJson) as JsonValue,
    clock: entry.clock,
    updatedAt: new Date(entry.updatedAt),
    expiresAt: new Date(entry.expiresAt),
  };
}
