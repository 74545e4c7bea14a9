import type * as Y from 'yjs';
import { copyClock } from '../storage/contract/clocks.js';
import { errorName, type CrdtSnapshotResult } from '../integrations/crdt-document-store.js';
import { REMOTE_ORIGIN, REMOTE_WITH_PENDING_ORIGIN } from './transaction-origins.js';
import { atMost, retryDelay, sleep } from './waiting.js';
import type { YjsDeltaWriter } from './yjs-delta-writer.js';
import type { YjsUpdateRefusedError } from './yjs-update-limits.js';
import { snapshotYDoc } from './yjs-document.js';
import type { ResolvedYjsStorageOptions, YjsStorageErrorContext } from './yjs-storage.options.js';
import { applyChangesToYDoc } from './yjs-updates.js';

/** What `checkPending` remembers of a document's pending structs between transactions. */
export interface PendingSeen {
  /** The pending update last read (Yjs merges into `pendingStructs` in place, replacing its `update`). */
  update: Uint8Array | null;
  /** Their first clock per client. */
  from: Map<number, number>;
}

/** What an open document needs from the extension that opened it. */
export interface OpenYDocumentHost {
  readonly options: ResolvedYjsStorageOptions;
  /** The writer of this server in `documentId`, if it has one. */
  writerOf(documentId: string): YjsDeltaWriter | undefined;
  report(error: unknown, context: YjsStorageErrorContext): void;
}

/**
 * One document loaded in this server: its applied clock, its catch-up with what other instances
 * stored, and its snapshot policy. The applied clock changes only in the same synchronous step as the
 * Y.Doc (the capture listener, `applyChangesToYDoc`), so "state now" and "clock now" always agree.
 */
export class OpenYDocument {
  /** What `doc` holds, per writer. */
  readonly applied: Record<string, number> = {};
  loading = true;
  closed = false;
  private pulling: Promise<void> | null = null;
  private pullAgain = false;
  private snapshotting: Promise<void> | null = null;
  /** This server's deltas since the last snapshot any instance announced. */
  private sinceSnapshot = { deltas: 0, bytes: 0 };
  /** What the document takes in storage, as this server counts it: the last snapshot it saw, and the updates since (stored or queued). */
  storedBytes = 0;
  /** The size of the last snapshot this server loaded or stored. */
  private lastSnapshotBytes = 0;
  /** The clock of the last snapshot this server stored: deltas it covers need no snapshot of their own. */
  lastSnapshotClock: Readonly<Record<string, number>> = {};
  /** What the extension last read of the structs Yjs holds pending here. */
  readonly pendingSeen: PendingSeen = { update: null, from: new Map() };
  /** Why the pending structs were last dropped, when the transaction that dropped them brought them. */
  droppedPending: YjsUpdateRefusedError | null = null;

  constructor(
    readonly documentId: string,
    readonly doc: Y.Doc,
    private readonly host: OpenYDocumentHost,
  ) {}

  /** A pull or a snapshot is under way or due. */
  get busy(): boolean {
    return this.loading || this.pulling !== null || this.pullAgain || this.snapshotting !== null;
  }

  /**
   * Yjs holds structs or deletions pending here (waiting for content the document lacks). They came from
   * stored deltas, which the applied clock names: a snapshot of that clock leaves them out (it holds only
   * integrated state), and compaction would then delete the only copy. No snapshot is taken meanwhile;
   * the next stored delta asks again.
   */
  get holdsPending(): boolean {
    return this.doc.store.pendingStructs !== null || this.doc.store.pendingDs !== null;
  }

  get hasUnsnapshottedDeltas(): boolean {
    return this.sinceSnapshot.deltas > 0;
  }

  /** Counts stored (or, at load, replayed) deltas towards the snapshot policy, and snapshots when due. */
  count(deltas: number, bytes: number): void {
    this.sinceSnapshot.deltas += deltas;
    this.sinceSnapshot.bytes += bytes;
    if (!this.loading && this.snapshotDue()) void this.snapshot();
  }

  /** A snapshot was stored (by any instance): the count starts again, so instances do not snapshot one after another. */
  snapshotAnnounced(): void {
    this.sinceSnapshot = { deltas: 0, bytes: 0 };
  }

  /** Reads what other instances stored and applies it; one pull at a time, again if asked meanwhile. */
  schedulePull(): void {
    if (this.closed) return;
    if (this.loading || this.pulling) {
      this.pullAgain = true;
      return;
    }
    this.pulling = this.pullUntilCurrent().finally(() => (this.pulling = null));
  }

  /** Stores the document as a snapshot and compacts; one at a time. */
  snapshot(): Promise<void> {
    this.snapshotting ??= this.takeSnapshot().finally(() => (this.snapshotting = null));
    return this.snapshotting;
  }

  /** This server stored a snapshot of the document (by policy, or in place of a delta too large for the store). */
  snapshotStored({ bytes, vectorClock }: CrdtSnapshotResult): void {
    this.lastSnapshotBytes = bytes;
    this.lastSnapshotClock = vectorClock;
    this.storedBytes = bytes + this.sinceSnapshot.bytes;
  }

  /** The document was read from the store: its snapshot (if any) and the deltas after it. */
  loaded(snapshotBytes: number, deltaBytes: number): void {
    this.lastSnapshotBytes = snapshotBytes;
    this.storedBytes = snapshotBytes + deltaBytes;
  }

  /**
   * By count or size, and once the bytes since the last snapshot reach half its size: a snapshot
   * writes the whole document, so without that rule a client sending updates just over
   * `snapshotEveryBytes` would have each one cost a snapshot (quadratic writes).
   */
  snapshotDue(): boolean {
    const { snapshotEveryDeltas, snapshotEveryBytes } = this.host.options;
    const byPolicy =
      (snapshotEveryDeltas > 0 && this.sinceSnapshot.deltas >= snapshotEveryDeltas) ||
      (snapshotEveryBytes > 0 && this.sinceSnapshot.bytes >= snapshotEveryBytes);
    return byPolicy && this.grownEnough();
  }

  /** Whether the bytes stored since the last snapshot reach half its size (so snapshots cost at most ~3x what was stored). */
  grownEnough(): boolean {
    return this.sinceSnapshot.bytes * 2 >= this.lastSnapshotBytes;
  }

  private async pullUntilCurrent(): Promise<void> {
    let attempt = 0;
    do {
      this.pullAgain = false;
      try {
        await this.pullOnce();
        attempt = 0;
      } catch (error) {
        attempt++;
        this.host.report(error, { operation: 'pull', documentId: this.documentId, attempt });
        this.pullAgain = true;
        await sleep(retryDelay(attempt, this.host.options.retryDelayMs));
      }
    } while (this.pullAgain && !this.closed);
  }

  private async pullOnce(): Promise<void> {
    const changes = await this.host.options.storage.documents.getChangesSince(this.documentId, copyClock(this.applied));
    if (this.closed) return;
    const { pendingStructs, pendingDs } = this.doc.store;
    const origin = pendingStructs !== null || pendingDs !== null ? REMOTE_WITH_PENDING_ORIGIN : REMOTE_ORIGIN;
    const applied = applyChangesToYDoc(this.doc, changes, this.applied, {
      origin,
      onBadDelta: (error, delta) =>
        this.host.report(error, { operation: 'apply', documentId: this.documentId, deltaId: delta.id }),
    });
    if (applied.snapshot) this.loaded(changes.snapshot!.data.byteLength, applied.bytes);
    else this.storedBytes += applied.bytes;
  }

  private async takeSnapshot(): Promise<void> {
    const { storage, compact, flushTimeoutMs } = this.host.options;
    // Not needed for correctness (the clock may name own deltas still queued: the snapshot holds them
    // and the store then skips them as covered), but it keeps the counts tidy.
    const writer = this.host.writerOf(this.documentId);
    if (writer) await atMost(writer.drain(), flushTimeoutMs);
    if (this.closed || this.holdsPending) return;
    const counted = { ...this.sinceSnapshot };
    try {
      const stored = await snapshotYDoc(storage.documents, this.documentId, this.doc, this.applied, { compact });
      this.sinceSnapshot.deltas = Math.max(0, this.sinceSnapshot.deltas - counted.deltas);
      this.sinceSnapshot.bytes = Math.max(0, this.sinceSnapshot.bytes - counted.bytes);
      this.snapshotStored(stored);
    } catch (error) {
      // A newer snapshot holds something this server has not applied: catch up; that instance has just snapshotted.
      if (errorName(error) === 'StaleSnapshotError') this.schedulePull();
      else this.host.report(error, { operation: 'snapshot', documentId: this.documentId });
    }
  }
}
