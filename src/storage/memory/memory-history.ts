import type { BackendHistoryPoint, BackendVersionPage } from '../contract/backend.js';
import { copyClock, counterOf, mergeInto } from '../contract/clocks.js';
import { HistoryUnavailableError } from '../contract/errors.js';
import type { ChangesAt, DocumentSnapshot, DocumentVersion, StoredDelta } from '../contract/types.js';

/** A stored delta as the history needs it (the memory driver's delta record). */
export interface HistoryDelta {
  readonly seq: number;
  readonly clientId: string;
  readonly counter: number;
  readonly json: string;
  readonly bytes: Uint8Array | null;
}

/** A snapshot as the memory driver keeps it; a replaced one stays referenced by the versions it served. */
export interface HistorySnapshot {
  readonly data: Uint8Array;
  readonly clock: Record<string, number>;
  readonly createdAt: number;
}

/** One version: what it was, and where the document stood right after it. */
interface VersionEntry {
  readonly version: number;
  readonly kind: DocumentVersion['kind'];
  readonly at: number;
  readonly clientIds: string[];
  /** The last delta position taken by then: deltas stored later are not part of this version. */
  readonly upToSeq: number;
  readonly snapshot: HistorySnapshot | null;
}

interface DocumentHistory {
  /** In version order; with retention off, the current version alone. */
  versions: VersionEntry[];
  /** Deltas compaction removed, in the order it removed them, each with when. */
  retired: { delta: HistoryDelta; removedAt: number }[];
}

/**
 * The memory driver's history: one entry per version and the deltas compaction removed, kept for
 * `retentionMs` (0: only the current version's entry, replaced in place, so writes cost the same as without).
 */
export class MemoryHistory {
  private readonly documents = new Map<string, DocumentHistory>();

  constructor(private readonly retentionMs: number) {}

  /** Records the version a write just took; `upToSeq` is the document's last delta position then. */
  record(
    documentId: string,
    entry: { version: number; kind: DocumentVersion['kind']; clientIds: string[] },
    upToSeq: number,
    snapshot: HistorySnapshot | null,
  ): void {
    const history = this.historyOf(documentId);
    const version: VersionEntry = { ...entry, at: Date.now(), upToSeq, snapshot };
    if (this.retentionMs === 0) history.versions = [version];
    else history.versions.push(version);
  }

  /** Keeps the deltas compaction just removed (only while retention is on). */
  retire(documentId: string, deltas: readonly HistoryDelta[]): void {
    if (this.retentionMs === 0 || deltas.length === 0) return;
    const removedAt = Date.now();
    const retired = this.historyOf(documentId).retired;
    for (const delta of deltas) retired.push({ delta, removedAt });
  }

  /** Drops everything kept for the document (deleted or erased). */
  forget(documentId: string): void {
    this.documents.delete(documentId);
  }

  /** At most `limit` readable versions above `after`, oldest first. */
  versions(documentId: string, currentVersion: number, limit: number, after: number | null): BackendVersionPage {
    const readable = (this.documents.get(documentId)?.versions ?? []).filter(
      (entry) => entry.version > (after ?? 0) && this.readable(entry, currentVersion),
    );
    const page = readable.slice(0, limit);
    return {
      versions: page.map((entry) => ({
        version: entry.version,
        kind: entry.kind,
        at: new Date(entry.at),
        clientIds: [...entry.clientIds],
      })),
      next: readable.length > limit ? page[page.length - 1]!.version : null,
    };
  }

  /**
   * The document right after the version `at` names: the snapshot it had then and the deltas stored by then
   * that snapshot does not cover (live or retired), in storage order. Costs the document's kept deltas.
   */
  changesAt(
    documentId: string,
    currentVersion: number,
    live: readonly HistoryDelta[],
    at: BackendHistoryPoint,
    toDelta: (delta: HistoryDelta) => StoredDelta,
  ): ChangesAt {
    const history = this.documents.get(documentId);
    const entries = history?.versions ?? [];
    const entry =
      'version' in at
        ? entries.find((each) => each.version === at.version)
        : entries.findLast((each) => each.at <= at.time);
    if (!entry || !this.readable(entry, currentVersion))
      throw new HistoryUnavailableError(documentId, 'version' in at ? at.version : (entry?.version ?? null));
    const snapshotClock = entry.snapshot?.clock ?? {};
    const kept = (delta: HistoryDelta): boolean =>
      delta.seq <= entry.upToSeq && delta.counter > counterOf(snapshotClock, delta.clientId);
    const deltas = [...live.filter(kept), ...(history?.retired ?? []).map((each) => each.delta).filter(kept)]
      .sort((a, b) => a.seq - b.seq)
      .map(toDelta);
    const vectorClock = copyClock(snapshotClock);
    for (const delta of deltas) mergeInto(vectorClock, delta.vectorClock);
    return {
      snapshot: entry.snapshot ? toSnapshot(entry.snapshot) : null,
      deltas,
      vectorClock,
      version: entry.version,
    };
  }

  /** Drops what is past retention: versions (never a document's current one) and retired deltas. */
  prune(): number {
    if (this.retentionMs === 0) return 0;
    const cutoff = Date.now() - this.retentionMs;
    let removed = 0;
    for (const history of this.documents.values()) {
      const versions = history.versions.findIndex((entry) => entry.at >= cutoff);
      const dropVersions = versions === -1 ? history.versions.length - 1 : versions;
      const retired = history.retired.findIndex((each) => each.removedAt >= cutoff);
      const dropRetired = retired === -1 ? history.retired.length : retired;
      history.versions.splice(0, dropVersions);
      history.retired.splice(0, dropRetired);
      removed += dropVersions + dropRetired;
    }
    return removed;
  }

  clear(): void {
    this.documents.clear();
  }

  private readable(entry: VersionEntry, currentVersion: number): boolean {
    return entry.version === currentVersion || (this.retentionMs > 0 && entry.at >= Date.now() - this.retentionMs);
  }

  private historyOf(documentId: string): DocumentHistory {
    let history = this.documents.get(documentId);
    if (!history) this.documents.set(documentId, (history = { versions: [], retired: [] }));
    return history;
  }
}

function toSnapshot(snapshot: HistorySnapshot): DocumentSnapshot {
  return {
    data: new Uint8Array(snapshot.data),
    vectorClock: copyClock(snapshot.clock),
    createdAt: new Date(snapshot.createdAt),
  };
}
