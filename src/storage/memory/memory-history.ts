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

/**
 * One version: what it was, and where the document stood right after it. With retention off the one entry of
 * a document is rewritten by each write (no allocation on the hot path; every read of it is synchronous).
 */
interface VersionEntry {
  version: number;
  kind: DocumentVersion['kind'];
  at: number;
  clientIds: string[];
  /** The last delta position taken by then: deltas stored later are not part of this version. */
  upToSeq: number;
  snapshot: HistorySnapshot | null;
}

interface DocumentHistory {
  /** In version order; with retention off, the current version alone. */
  versions: VersionEntry[];
  /** Deltas compaction removed, in the order it removed them, each with when. */
  retired: { delta: HistoryDelta; removedAt: number }[];
}

/** A deleted incarnation of a document, kept for the retention: its history and the deltas it held then. */
interface EndedHistory extends DocumentHistory {
  /** When `delete` ended it: its last version was current until then. */
  readonly deletedAt: number;
}

/** Where a read found its version: the history it belongs to, and whether that is the live document's. */
interface Incarnation {
  readonly history: DocumentHistory;
  readonly live: boolean;
  readonly deletedAt: number | null;
}

/**
 * The memory driver's history: one entry per version and the deltas compaction removed, kept for
 * `retentionMs` (0: only the current version's entry, replaced in place, so writes cost the same as without).
 * A `delete` ends the document's incarnation: with retention on, its history and the deltas it held are kept
 * (as `ended`, oldest first) for the retention, and read by the rules of docs/CONTRACT.md "History after delete".
 */
export class MemoryHistory {
  private readonly documents = new Map<string, DocumentHistory>();
  private readonly ended = new Map<string, EndedHistory[]>();

  constructor(private readonly retentionMs: number) {}

  /** Records the version a write just took; `upToSeq` is the document's last delta position then. */
  record(
    documentId: string,
    entry: { version: number; kind: DocumentVersion['kind']; clientIds: string[] },
    upToSeq: number,
    snapshot: HistorySnapshot | null,
  ): void {
    const history = this.historyOf(documentId);
    const current = history.versions[0];
    if (this.retentionMs === 0 && current) {
      Object.assign(current, entry);
      current.at = Date.now();
      current.upToSeq = upToSeq;
      current.snapshot = snapshot;
    } else history.versions.push({ ...entry, at: Date.now(), upToSeq, snapshot });
  }

  /** Keeps the deltas compaction just removed (only while retention is on). */
  retire(documentId: string, deltas: readonly HistoryDelta[]): void {
    if (this.retentionMs === 0 || deltas.length === 0) return;
    const removedAt = Date.now();
    const retired = this.historyOf(documentId).retired;
    for (const delta of deltas) retired.push({ delta, removedAt });
  }

  /**
   * The document was deleted holding `live` deltas: with retention on its incarnation is kept, those deltas
   * with it; with retention off nothing of it is.
   */
  end(documentId: string, live: readonly HistoryDelta[]): void {
    const history = this.documents.get(documentId);
    this.documents.delete(documentId);
    if (this.retentionMs === 0) {
      this.ended.delete(documentId);
      return;
    }
    const deletedAt = Date.now();
    const retired = [...(history?.retired ?? []), ...live.map((delta) => ({ delta, removedAt: deletedAt }))];
    let ended = this.ended.get(documentId);
    if (!ended) this.ended.set(documentId, (ended = []));
    // Even one that never took a version: while the document does not exist, version numbers name it.
    ended.push({ versions: history?.versions ?? [], retired, deletedAt });
  }

  /** Drops everything kept for the document, every incarnation (erased). */
  forget(documentId: string): void {
    this.documents.delete(documentId);
    this.ended.delete(documentId);
  }

  /**
   * At most `limit` readable versions above `after`, oldest first: the live document's, or while it does not
   * exist, those of the incarnation deleted last.
   */
  versions(documentId: string, currentVersion: number | null, limit: number, after: number | null): BackendVersionPage {
    const incarnation = this.latest(documentId, currentVersion !== null);
    const entries = incarnation?.history.versions ?? [];
    const readable = entries.filter(
      (entry, index) =>
        entry.version > (after ?? 0) &&
        this.readable(incarnation!, entry, index === entries.length - 1, currentVersion),
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
   * that snapshot does not cover (live or retired), in storage order. A version number names one of the live
   * document (`currentVersion` not null) or, while it does not exist, of the incarnation deleted last; a time
   * names the incarnation that existed then. Costs the incarnation's kept deltas.
   */
  changesAt(
    documentId: string,
    currentVersion: number | null,
    live: readonly HistoryDelta[],
    at: BackendHistoryPoint,
    toDelta: (delta: HistoryDelta) => StoredDelta,
  ): ChangesAt {
    const found =
      'version' in at
        ? this.byVersion(documentId, currentVersion, at.version)
        : this.byTime(documentId, currentVersion, at.time);
    if (!found?.entry) throw new HistoryUnavailableError(documentId, 'version' in at ? at.version : null);
    const { incarnation, entry } = found;
    const entries = incarnation.history.versions;
    if (!this.readable(incarnation, entry, entry === entries[entries.length - 1], currentVersion))
      throw new HistoryUnavailableError(documentId, entry.version);
    const snapshotClock = entry.snapshot?.clock ?? {};
    const kept = (delta: HistoryDelta): boolean =>
      delta.seq <= entry.upToSeq && delta.counter > counterOf(snapshotClock, delta.clientId);
    const deltas = [
      ...(incarnation.live ? live : []).filter(kept),
      ...incarnation.history.retired.map((each) => each.delta).filter(kept),
    ]
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

  /**
   * Drops what is past retention: versions (never a document's current one, nor a deleted incarnation's last
   * while its deletion is within retention), retired deltas, and incarnations deleted before the retention.
   */
  prune(): number {
    if (this.retentionMs === 0) return 0;
    const cutoff = Date.now() - this.retentionMs;
    let removed = 0;
    const trim = (history: DocumentHistory): void => {
      const versions = history.versions.findIndex((entry) => entry.at >= cutoff);
      const dropVersions = versions === -1 ? history.versions.length - 1 : versions;
      const retired = history.retired.findIndex((each) => each.removedAt >= cutoff);
      const dropRetired = retired === -1 ? history.retired.length : retired;
      history.versions.splice(0, dropVersions);
      history.retired.splice(0, dropRetired);
      removed += dropVersions + dropRetired;
    };
    for (const history of this.documents.values()) trim(history);
    for (const [documentId, incarnations] of this.ended) {
      const kept = incarnations.filter((each) => each.deletedAt >= cutoff);
      for (const gone of incarnations)
        if (gone.deletedAt < cutoff) removed += gone.versions.length + gone.retired.length;
      kept.forEach(trim);
      if (kept.length === 0) this.ended.delete(documentId);
      else this.ended.set(documentId, kept);
    }
    return removed;
  }

  clear(): void {
    this.documents.clear();
    this.ended.clear();
  }

  /**
   * A version is readable while it is the live document's current one, while it was written within the
   * retention, or, being a deleted incarnation's last, while its deletion is within the retention.
   */
  private readable(
    incarnation: Incarnation,
    entry: VersionEntry,
    last: boolean,
    currentVersion: number | null,
  ): boolean {
    if (incarnation.live && entry.version === currentVersion) return true;
    if (this.retentionMs === 0) return false;
    const cutoff = Date.now() - this.retentionMs;
    return entry.at >= cutoff || (last && incarnation.deletedAt !== null && incarnation.deletedAt >= cutoff);
  }

  /** The live document's history, or when it does not exist, the incarnation deleted last. */
  private latest(documentId: string, exists: boolean): Incarnation | null {
    if (exists) {
      const history = this.documents.get(documentId);
      return history ? { history, live: true, deletedAt: null } : null;
    }
    const last = this.ended.get(documentId)?.at(-1);
    return last ? { history: last, live: false, deletedAt: last.deletedAt } : null;
  }

  private byVersion(
    documentId: string,
    currentVersion: number | null,
    version: number,
  ): { incarnation: Incarnation; entry: VersionEntry | undefined } | null {
    const incarnation = this.latest(documentId, currentVersion !== null);
    return incarnation && { incarnation, entry: incarnation.history.versions.find((each) => each.version === version) };
  }

  /**
   * The last version written at or before `time`, in the incarnation that existed then: none (undefined
   * entry) when the document was deleted, or not yet written, at that time.
   */
  private byTime(
    documentId: string,
    currentVersion: number | null,
    time: number,
  ): { incarnation: Incarnation; entry: VersionEntry | undefined } | null {
    const incarnations: Incarnation[] = (this.ended.get(documentId) ?? []).map((history) => ({
      history,
      live: false,
      deletedAt: history.deletedAt,
    }));
    const live = currentVersion !== null ? this.documents.get(documentId) : undefined;
    if (live) incarnations.push({ history: live, live: true, deletedAt: null });
    for (const incarnation of incarnations.reverse()) {
      if (incarnation.deletedAt !== null && incarnation.deletedAt <= time) return null;
      const entry = incarnation.history.versions.findLast((each) => each.at <= time);
      if (entry) return { incarnation, entry };
    }
    return null;
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
