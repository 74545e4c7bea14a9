import type { StorageChange } from '../contract/types.js';
import type { RefillReason, StorageMetrics } from '../storage-metrics.js';
import type { ChangeHub, Release } from './change-hub.js';
import type { ChangeHint } from './postgres-change-listener.js';

/** One row of the change log: a committed content write of one document. */
export interface LoggedChange {
  position: number;
  documentId: string;
  version: number;
  kind: 'deltas' | 'snapshot' | 'compacted' | 'deleted';
  /** The provider that wrote it: this one's changes are published as 'local'. */
  origin: string;
  /** `deltas`: how many deltas that version stored. */
  deltaCount: number | null;
  /** `deltas`: the ids still stored (fewer than `deltaCount` once compacted or deleted); null where not read. */
  ids: string[] | null;
  /** When it was committed, on this process's performance.now() timeline (feed delay metric). */
  committedAt?: number;
}

/** A document's latest log position and current version, where a new subscription starts. */
export interface DocumentStart {
  position: number;
  version: number;
}

/** How the feed reads the change log (the postgres driver's statements). */
export interface ChangeLogSource {
  /** The last position written. */
  end(): Promise<number>;
  /** Rows after `after` and at `holes`, in position order; ids for `documents` (null: all). */
  read(
    after: number,
    holes: readonly number[],
    documents: readonly string[] | null,
    limit: number,
  ): Promise<LoggedChange[]>;
  /** One document's rows in (after, upTo], ids included. */
  readDocument(documentId: string, after: number, upTo: number, limit: number): Promise<LoggedChange[]>;
  /** One document's rows of its current incarnation with a version above `afterVersion`, positions in (after, upTo]. */
  readDocumentAfterVersion(
    documentId: string,
    afterVersion: number,
    range: { after: number; upTo: number; limit: number },
  ): Promise<LoggedChange[]>;
  /** Where the document stands now, or (`upTo`) where it stood at that log position. */
  start(documentId: string, upTo?: number): Promise<DocumentStart>;
  /** Whether the document was erased at `position`: none of its log rows lie at or before it, and it is gone or new. */
  erased(documentId: string, position: number): Promise<boolean>;
}

/** Where a followed document stands: the last row delivered (or skipped) and its version. */
interface DocumentState {
  position: number;
  /** The document's version after `position`; 0 after a delete. Null: the next row starts the count. */
  version: number | null;
  /** When following began (performance.now()): local writes issued later belong to the subscriber. */
  since: number;
  /** The position its start was read at; null once a row was taken after it, or when it started from a row. */
  baseline: number | null;
  /** The last change published for it was a resync: a run of unreadable versions makes one. */
  resynced: boolean;
}

const PAGE = 1_000;
/** How long a skipped position is looked for again: a transaction that took it commits within this or never. */
const HOLE_WAIT_MS = 30_000;
const MAX_HOLES = 10_000;
/** How long the listening connection and the position stay after the last subscriber left (SSE clients come and go). */
export const FEED_GRACE_MS = 30_000;

/**
 * The postgres change feed. Every content write appends a row to the change log under its document lock;
 * after commit the writer publishes its own change at once and sends a hint to other instances. The feed
 * reads the log after its position (on a hint, on a (re)connect, and every `maxDelayMs` whatever arrives),
 * so a lost or forged hint costs latency or a read, never a gap or a duplicate. Per document it publishes
 * each version once, in order; a version it can no longer read (compacted away, pruned) becomes one
 * `resync` naming the document. All reading and publishing runs one task at a time.
 */
export class PostgresChangeFeed {
  private cursor: number | null = null;
  /** Positions skipped by a read (not committed yet), with when they were first missed. */
  private readonly holes = new Map<number, number>();
  private readonly documents = new Map<string, DocumentState>();
  /** Start reads of subscribed documents still in flight. */
  private readonly starting = new Map<string, Promise<unknown>>();
  /** Where all-documents following began: rows after it, or local writes issued after `everythingSince`. */
  private everythingBaseline: number | null = null;
  private everythingSince = 0;
  private work: Promise<void> = Promise.resolve();
  private pollQueued = false;
  private pollAgain = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** A hint asked for the next poll: rows it finds are not refills. */
  private hintArrived = false;
  /** Set while reading what no notification brought: each change published then counts as a refill. */
  private refilling: RefillReason | undefined;

  constructor(
    private readonly hub: ChangeHub,
    private readonly source: ChangeLogSource,
    private readonly origin: string,
    private readonly maxDelayMs: number,
    private readonly metrics?: StorageMetrics,
  ) {}

  /** Following begins (first subscriber): position read, then a read every `maxDelayMs`. */
  start(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => this.requestPoll(), this.maxDelayMs);
    this.timer.unref();
    this.requestPoll();
  }

  /** Following ends (no subscriber for the grace period): everything is forgotten. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.cursor = null;
    this.everythingBaseline = null;
    this.holes.clear();
    this.documents.clear();
  }

  close(): void {
    this.closed = true;
    this.stop();
  }

  /**
   * A document gained its first own subscriber: it follows the rows after the document's log position read
   * now (sent at once, applied in turn), and this provider's writes issued from now.
   */
  documentSubscribed(documentId: string): void {
    if (this.documents.has(documentId)) return; // an all-documents subscription follows it already
    const since = performance.now();
    const reading = this.source.start(documentId);
    const settled = reading.catch(() => undefined);
    this.starting.set(documentId, settled);
    void settled.then(() => {
      if (this.starting.get(documentId) === settled) this.starting.delete(documentId);
    });
    this.run(async () => {
      if (this.documents.has(documentId) || !this.hub.follows(documentId)) return;
      const start = await reading;
      let state: DocumentState = { ...start, since, baseline: start.position, resynced: false };
      if (this.everythingBaseline !== null && this.cursor !== null && this.cursor < start.position) {
        // An all-documents subscription has yet to read this document's rows after the feed's position: its
        // delivery starts there, so they still reach it (the new subscriber may hear a few of them too).
        state = { ...(await this.source.start(documentId, this.cursor)), since, baseline: null, resynced: false };
      }
      this.documents.set(documentId, state);
      // The feed's reading may already be past it: what came between is read for this document alone.
      if (this.cursor !== null && start.position < this.cursor) await this.fillUpTo(state, documentId, this.cursor);
    });
  }

  /** Resolves once the start reads of the document's subscriptions issued so far have answered. */
  async startsRead(documentId: string): Promise<void> {
    await this.starting.get(documentId);
  }

  /**
   * A subscriber of `documentId` resumes after `afterVersion`: it is handed the rows of versions after it up to
   * where the document's delivery stands (read from the log, in turn with delivery), then follows with the rest.
   * Versions it can no longer read (pruned, compacted, another incarnation) make one `resync` instead.
   */
  resume(documentId: string, afterVersion: number, release: Release): void {
    const resync: StorageChange[] = [{ documentId, kind: 'resync', source: 'local' }];
    this.run(async () => {
      try {
        await this.readMissed(documentId, afterVersion, release, resync);
      } catch (error) {
        // The log could not be read now: the subscriber reads the document instead.
        release(resync, this.documents.get(documentId)?.version ?? afterVersion);
        throw error;
      }
    });
  }

  private async readMissed(
    documentId: string,
    afterVersion: number,
    release: Release,
    resync: StorageChange[],
  ): Promise<void> {
    if (!this.hub.follows(documentId)) return release([], afterVersion);
    let state = this.documents.get(documentId);
    if (!state) {
      // Followed by an all-documents subscription that has not met the document yet: its delivery starts where
      // the feed's reading stands, so that rows after it still reach the all-documents subscribers.
      const start = await this.source.start(documentId, this.cursor ?? undefined);
      state = { ...start, since: performance.now(), baseline: null, resynced: false };
      this.documents.set(documentId, state);
    }
    const current = state.version ?? 0;
    if (afterVersion === current) return release([], current);
    if (afterVersion > current) return release(resync, current);
    const missed: StorageChange[] = [];
    let after = 0;
    for (;;) {
      const range = { after, upTo: state.position, limit: PAGE };
      const rows = await this.source.readDocumentAfterVersion(documentId, afterVersion, range);
      for (const row of rows) {
        const change = this.toChange(row);
        if (!change || row.version !== afterVersion + missed.length + 1) return release(resync, current);
        missed.push(change);
      }
      if (rows.length < PAGE) break;
      after = rows[rows.length - 1]!.position;
    }
    release(afterVersion + missed.length === current ? missed : resync, current);
  }

  /** A document's last own subscriber left: unless all documents are followed, it is forgotten. */
  documentUnsubscribed(documentId: string): void {
    if (!this.hub.follows(documentId)) this.documents.delete(documentId);
  }

  /** A first all-documents subscriber: rows after the log's end read now, and local writes issued from now. */
  everythingSubscribed(): void {
    const since = performance.now();
    const reading = this.source.end();
    reading.catch(() => undefined);
    this.run(async () => {
      if (this.everythingBaseline !== null || !this.hub.followsEverything) return;
      const baseline = await reading;
      this.everythingSince = since;
      this.everythingBaseline = baseline;
    });
  }

  /** The last all-documents subscriber left: a later one starts afresh, and so do the documents it followed. */
  everythingUnsubscribed(): void {
    this.everythingBaseline = null;
    for (const documentId of this.documents.keys())
      if (!this.hub.follows(documentId)) this.documents.delete(documentId);
  }

  /** This provider committed a content write (`issuedAt`: performance.now() before it was sent). */
  committed(change: LoggedChange, issuedAt: number): void {
    if (!this.timer || !this.hub.follows(change.documentId)) return;
    if (this.metrics) change.committedAt = performance.now();
    this.run(() => this.deliverLocal(change, issuedAt));
  }

  /** This provider wrote or removed an awareness entry: published in turn with its content changes. */
  awarenessCommitted(documentId: string, clientId: string): void {
    if (!this.timer || !this.hub.follows(documentId)) return;
    this.run(async () => this.hub.publish({ documentId, kind: 'awareness', clientId, source: 'local' }));
  }

  /** A hint arrived: read the log if it names a followed document (hints of this provider are its own writes). */
  hinted(hint: ChangeHint): void {
    if (!this.timer) return;
    if (hint.origin !== this.origin)
      for (const [documentId, clientId] of hint.awareness)
        if (this.hub.follows(documentId))
          this.hub.publish({ documentId, kind: 'awareness', clientId, source: 'remote' });
    if (hint.origin === this.origin) return;
    for (const [documentId, version, position] of hint.erased)
      if (this.hub.follows(documentId)) this.run(() => this.deliverErased(hint.origin, documentId, version, position));
    if (hint.documents.some((documentId) => this.hub.follows(documentId))) {
      this.hintArrived = true;
      this.requestPoll();
    }
  }

  /** The listening connection (re)connected: hints may have been lost meanwhile. */
  listening(): void {
    if (this.timer) this.requestPoll();
  }

  /** Resolves once every task queued so far ran (tests and close). */
  settled(): Promise<void> {
    return this.work;
  }

  private run(task: () => Promise<void>): void {
    this.work = this.work.then(task).catch(() => {
      // A failed read is retried by the next poll; nothing was delivered past what was read.
    });
  }

  private requestPoll(): void {
    if (this.pollQueued) {
      this.pollAgain = true;
      return;
    }
    this.pollQueued = true;
    this.run(async () => {
      try {
        do {
          this.pollAgain = false;
          const hinted = this.hintArrived;
          this.hintArrived = false;
          await this.poll(hinted);
        } while (this.pollAgain && this.timer);
      } finally {
        this.pollQueued = false;
      }
    });
  }

  private async poll(hinted: boolean): Promise<void> {
    if (!this.timer) return;
    if (this.cursor === null) {
      this.cursor = await this.source.end();
      // Documents whose start was read before: what came between is read for each alone.
      for (const [documentId, state] of this.documents)
        if (state.position < this.cursor) await this.fillUpTo(state, documentId, this.cursor);
      return;
    }
    for (;;) {
      const followed = this.hub.followsEverything ? null : [...this.hub.subscribedDocuments()];
      const rows = await this.source.read(this.cursor, [...this.holes.keys()], followed, PAGE);
      this.advance(rows);
      // Found by the periodic read or after a reconnect: the notification of these rows never came.
      this.refilling = hinted || this.hintArrived ? undefined : 'poll';
      try {
        for (const row of rows) await this.deliver(row, 'log');
      } finally {
        this.refilling = undefined;
      }
      if (rows.length < PAGE) break;
    }
    const expired = performance.now() - HOLE_WAIT_MS;
    for (const [position, missedAt] of this.holes) if (missedAt < expired) this.holes.delete(position);
    for (const documentId of this.documents.keys())
      if (!this.hub.follows(documentId)) this.documents.delete(documentId);
  }

  /** Moves the cursor past `rows`, remembering the positions skipped in between. */
  private advance(rows: readonly LoggedChange[]): void {
    const now = performance.now();
    for (const row of rows) {
      this.holes.delete(row.position);
      if (row.position <= this.cursor!) continue;
      for (let skipped = this.cursor! + 1; skipped < row.position && this.holes.size < MAX_HOLES; skipped++)
        this.holes.set(skipped, now);
      this.cursor = row.position;
    }
  }

  private async deliverLocal(change: LoggedChange, issuedAt: number): Promise<void> {
    const state = this.documents.get(change.documentId);
    // Issued after the subscription began but committed before its start was read, with nothing delivered
    // since: the subscriber's own, so it starts from this change.
    const rewound = state && state.baseline !== null && change.position <= state.baseline && issuedAt >= state.since;
    const upTo = state?.baseline ?? 0;
    if (rewound) {
      state.position = change.position - 1;
      state.version = null;
      state.baseline = null;
    }
    await this.deliver(change, issuedAt);
    // What other instances committed after it and before the start was read follows it.
    if (rewound) await this.fillUpTo(state, change.documentId, upTo);
  }

  /**
   * Another instance erased a followed document: no log row tells it, so once storage confirms that the
   * document's rows are gone, its `deleted` change is delivered as a row read back would be.
   */
  private async deliverErased(origin: string, documentId: string, version: number, position: number): Promise<void> {
    if (!this.timer || !(await this.source.erased(documentId, position))) return;
    const row: LoggedChange = { position, documentId, version, kind: 'deleted', origin, deltaCount: null, ids: null };
    await this.deliver(row, 'log');
  }

  /** Publishes `row` in its document's order; `issuedAt` for a local write, 'log' for a row read back. */
  private async deliver(row: LoggedChange, issuedAt: number | 'log'): Promise<void> {
    const { documentId } = row;
    if (!this.hub.follows(documentId)) {
      this.documents.delete(documentId);
      return;
    }
    let state = this.documents.get(documentId);
    if (!state) {
      if (!this.startsEverything(row, issuedAt)) return;
      state = {
        position: row.position - 1,
        version: null,
        since: this.everythingSince,
        baseline: null,
        resynced: false,
      };
      this.documents.set(documentId, state);
    }
    if (row.position <= state.position) return;
    if (state.version !== null && row.version !== state.version + 1) await this.fillGap(state, row);
    if (row.position <= state.position) return;
    if (state.version !== null && row.version !== state.version + 1) {
      // What came between is gone from the log (pruned): the subscriber must read the document.
      this.resync(state, documentId);
      this.skip(state, row);
      return;
    }
    this.accept(state, row);
  }

  /** Whether an all-documents subscription takes a row of a document it has not seen yet. */
  private startsEverything(row: LoggedChange, issuedAt: number | 'log'): boolean {
    if (!this.hub.followsEverything || this.everythingBaseline === null) return false;
    return issuedAt === 'log' ? row.position > this.everythingBaseline : issuedAt >= this.everythingSince;
  }

  /** Reads and delivers the document's rows between its position and `row`. */
  private async fillGap(state: DocumentState, row: LoggedChange): Promise<void> {
    const outer = this.refilling;
    this.refilling = 'gap';
    try {
      await this.fillUpTo(state, row.documentId, row.position - 1);
    } finally {
      this.refilling = outer;
    }
  }

  /** Reads and delivers the document's rows after its position, up to `upTo`. */
  private async fillUpTo(state: DocumentState, documentId: string, upTo: number): Promise<void> {
    for (;;) {
      const rows = await this.source.readDocument(documentId, state.position, upTo, PAGE);
      for (const earlier of rows) {
        if (earlier.position <= state.position) continue;
        if (state.version !== null && earlier.version !== state.version + 1) {
          this.resync(state, documentId);
          this.skip(state, earlier);
        } else {
          this.accept(state, earlier);
        }
      }
      if (rows.length < PAGE) return;
    }
  }

  /** Publishes a row that follows its document's version (or starts it); an unreadable one becomes a resync. */
  private accept(state: DocumentState, row: LoggedChange): void {
    const change = this.toChange(row);
    if (!change) {
      this.resync(state, row.documentId);
      this.skip(state, row);
      return;
    }
    state.resynced = false;
    this.skip(state, row);
    this.hub.publish(change);
    if (this.metrics) {
      if (row.committedAt !== undefined) this.metrics.delivered(row.committedAt, change.source);
      if (this.refilling) this.metrics.refilled(this.refilling);
    }
  }

  /** The change a row announces; null when its delta ids can no longer all be read (compacted, deleted). */
  private toChange(row: LoggedChange): StorageChange | null {
    const readable = row.kind !== 'deltas' || (row.ids !== null && row.ids.length === row.deltaCount);
    if (!readable) return null;
    const change: StorageChange = {
      documentId: row.documentId,
      kind: row.kind,
      version: row.version,
      source: row.origin === this.origin ? 'local' : 'remote',
    };
    if (row.kind === 'deltas') change.deltaIds = row.ids!;
    return change;
  }

  private skip(state: DocumentState, row: LoggedChange): void {
    state.baseline = null;
    state.position = row.position;
    state.version = row.kind === 'deleted' ? 0 : row.version;
  }

  private resync(state: DocumentState, documentId: string): void {
    if (state.resynced) return;
    state.resynced = true;
    this.hub.publish({ documentId, kind: 'resync', source: 'local' });
    this.metrics?.refilled('resync');
  }
}
