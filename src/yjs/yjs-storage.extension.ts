import type { Subscription } from 'rxjs';
import * as Y from 'yjs';
import { counterOf, setCounter } from '../storage/contract/clocks.js';
import { StorageUnavailableError } from '../storage/contract/errors.js';
import type { StorageChange, StoredDelta } from '../storage/contract/types.js';
import { ownCounter } from '../integrations/crdt-document-store.js';
import { OpenYDocument, type OpenYDocumentHost } from './open-y-document.js';
import { LOAD_ORIGIN, REMOTE_ORIGIN } from './transaction-origins.js';
import { atMost } from './waiting.js';
import { YjsDeltaWriter } from './yjs-delta-writer.js';
import { loadYDoc, snapshotYDoc } from './yjs-document.js';
import {
  resolveYjsStorageOptions,
  type ResolvedYjsStorageOptions,
  type YjsStorageErrorContext,
  type YjsStorageExtensionOptions,
} from './yjs-storage.options.js';
import { applyChangesToYDoc } from './yjs-updates.js';
import {
  closeWebSocket,
  connectionOf,
  checkPending,
  connectionClosed,
  refusalOf,
  SYNC_STEP_1,
  type ClosableConnection,
} from './update-admission.js';
import { YjsUpdateRefusedError } from './yjs-update-limits.js';
import {
  DocumentPresence,
  parseYjsRelayMessage,
  type RelayTargetDocument,
  type YjsRelayMessage,
} from './yjs-presence.js';
import type { RelayedMessage } from '../storage/contract/types.js';

/**
 * Thrown into Hocuspocus when a connection closed while its update waited for its commit, so that no
 * SyncStatus follows: the update is still stored (it is queued), but its client is not told so.
 */
/** A Yjs update with no structs and no deletions. */
function carriesNothing(update: Uint8Array): boolean {
  const { structs, ds } = Y.decodeUpdate(update);
  return structs.length === 0 && ds.clients.size === 0;
}

class UpdateNotAcknowledgedError extends Error {
  override readonly name = 'UpdateNotAcknowledgedError';

  constructor(documentId: string) {
    super(`document ${JSON.stringify(documentId)}: the connection closed before its update was stored`);
  }
}

/** The part of the Hocuspocus instance the extension uses: closing a document's connections here. */
export interface YjsHocuspocusInstance {
  /** Closes the connections of one document here (all documents without a name); clients reconnect. */
  closeConnections(documentName?: string): void;
}

/** The part of a Hocuspocus hook payload the extension reads (so `/yjs` type-checks without Hocuspocus). */
export interface YjsDocumentHookPayload {
  /** The Hocuspocus document name (mapped to a storage id by `options.documentId`). */
  documentName: string;
  /** The live Y.Doc Hocuspocus serves. */
  document: Y.Doc;
}

/** The part of Hocuspocus's `beforeSync` payload the extension reads: one y-protocols sync message of a client. */
export interface YjsSyncHookPayload {
  /** The Hocuspocus document name. */
  documentName: string;
  /** The client's connection, closed with a `YJS_CLOSE_CODES` code when its update is refused. */
  connection: ClosableConnection;
  /** 0: state vector (sync step 1); 1, 2: a Yjs update (sync step 2, update). */
  type: number;
  /** The message's content (a state vector or a Yjs update). */
  payload: Uint8Array;
}

/**
 * A Hocuspocus extension that keeps documents in nest-sync-storage: it loads a document from its
 * snapshot and deltas, stores every update as one binary delta under this server's writer id,
 * snapshots and compacts by policy, and applies what other instances store (through the change feed)
 * to the documents open here. Several Hocuspocus servers can share one database without Redis.
 *
 * Updates are captured by a synchronous `update` listener on the loaded document, not by the
 * `onChange` hook: that hook runs later, and a rejection in it would crash the process.
 */
export class YjsStorageExtension {
  /** Runs before other extensions' hooks, so they see the loaded document. */
  readonly priority = 1000;
  /** The name Hocuspocus lists the extension under. */
  readonly extensionName = 'nest-sync-storage/yjs';
  /** The options with every default filled in, and this server's writer id. */
  readonly options: ResolvedYjsStorageOptions;
  private readonly open = new Map<string, OpenYDocument>();
  /** Kept while a writer has deltas not committed, even after its document unloaded. */
  private readonly writers = new Map<string, YjsDeltaWriter>();
  private subscription: Subscription | null = null;
  private relaySubscription: Subscription | null = null;
  /** The presence (and relay target) of each document open here, with its Hocuspocus name. */
  private readonly presence = new Map<
    string,
    { documentName: string; presence: DocumentPresence | null; document: RelayTargetDocument }
  >();
  private instance: YjsHocuspocusInstance | null = null;
  private closed = false;
  /** Documents whose writer stopped on an error: their updates are refused until they load again. */
  private readonly notStored = new Set<string>();
  /** What the open documents may use of this extension. */
  private readonly host: OpenYDocumentHost;
  /** Per connection, a promise that resolves once Hocuspocus closed it; registered once, on its first update. */
  private readonly closing = new WeakMap<ClosableConnection, Promise<'closed'>>();

  constructor(options: YjsStorageExtensionOptions) {
    this.options = resolveYjsStorageOptions(options);
    this.host = {
      options: this.options,
      writerOf: (documentId) => this.writers.get(documentId),
      report: (error, context) => this.report(error, context),
    };
  }

  /** The id this server stores its deltas under. */
  get writerId(): string {
    return this.options.writerId;
  }

  // Hocuspocus calls onConfigure when the server is built: subscribing then gives the feed's
  // connection time to listen before the first document loads.
  /** Hocuspocus hook: subscribes to the change feed and the relay (once). */
  async onConfigure(payload?: { instance?: YjsHocuspocusInstance }): Promise<void> {
    this.instance = payload?.instance ?? this.instance;
    this.subscribe();
  }

  /**
   * Hocuspocus hook: fills the document from its stored snapshot and deltas (one `getChangesSince`), then
   * captures every later update into this server's writer. Costs the snapshot and the deltas after it.
   */
  async onLoadDocument({ document, documentName }: YjsDocumentHookPayload): Promise<void> {
    if (this.closed) throw new StorageUnavailableError('the Yjs storage extension is closed');
    this.subscribe();
    const documentId = this.options.documentId(documentName);
    // A writer that stopped on an error is given up: the new load continues from what is stored.
    if (this.writers.get(documentId)?.stopped) this.writers.delete(documentId);
    this.notStored.delete(documentId);
    const open = new OpenYDocument(documentId, document, this.host);
    this.open.set(documentId, open);
    try {
      const changes = await this.options.storage.documents.getChangesSince(documentId, null);
      const loaded = applyChangesToYDoc(document, changes, open.applied, {
        origin: LOAD_ORIGIN,
        onBadDelta: (error, delta) => this.report(error, { operation: 'apply', documentId, deltaId: delta.id }),
      });
      open.loaded(changes.snapshot?.data.byteLength ?? 0, loaded.bytes);
      open.count(loaded.deltas, loaded.bytes);
      this.replayQueued(open);
    } catch (error) {
      if (this.open.get(documentId) === open) this.open.delete(documentId);
      throw error; // Hocuspocus closes the connections and does not keep the document
    }
    this.followPresence(documentId, documentName, document);
    document.on('update', (update: Uint8Array, origin: unknown) => this.capture(open, update, origin));
    document.on('afterTransaction', (transaction: Y.Transaction) => this.checkPending(open, transaction.origin));
    // Bound to this Document: Hocuspocus may load a new Document of the same name before afterUnloadDocument.
    document.on('destroy', () => {
      open.closed = true;
      if (this.open.get(documentId) === open) this.open.delete(documentId);
      const followed = this.presence.get(documentId);
      if (followed?.document === (document as RelayTargetDocument)) {
        followed.presence?.close();
        this.presence.delete(documentId);
      }
    });
  }

  /**
   * Hocuspocus awaits this before it applies a client's sync message: a message over a bound is
   * refused here, before Yjs reads it, and nothing of it is applied, broadcast or stored. The client's
   * WebSocket closes with the code and reason of `YJS_CLOSE_CODES`.
   */
  async beforeSync({ documentName, connection, type, payload }: YjsSyncHookPayload): Promise<void> {
    const documentId = this.options.documentId(documentName);
    const open = this.open.get(documentId);
    const storing = !this.closed && !this.notStored.has(documentId) && !this.writers.get(documentId)?.stopped;
    const refusal = refusalOf(this.options, { documentId, open, storing, type, payload });
    if (refusal) this.refuse(documentId, connection, refusal);
    if (type !== SYNC_STEP_1 && open && !connection.readOnly)
      await this.storeBeforeAcknowledging(open, connection, payload);
  }

  /**
   * Applies a client's update to the document here, as Hocuspocus would next (same origin, so it is
   * broadcast and other extensions see it alike), and waits until the delta holding it is committed:
   * Hocuspocus then applies it again (a no-op for Yjs) and only then sends the client its SyncStatus.
   * So "acknowledged" means "stored". Every client of the document appends to the same writer, so
   * concurrent updates commit together in one batch. Content Yjs keeps pending (it waits for content
   * the document lacks) is stored too, as the update itself.
   */
  private async storeBeforeAcknowledging(
    open: OpenYDocument,
    connection: ClosableConnection,
    payload: Uint8Array,
  ): Promise<void> {
    const { store } = open.doc;
    const pendingBefore = [store.pendingStructs?.update ?? null, store.pendingDs];
    const origin = { source: 'connection', connection };
    const counterBefore = this.writers.get(open.documentId)?.counter;
    open.droppedPending = null;
    Y.applyUpdate(open.doc, payload, origin);
    // Its pending structs broke a bound and were dropped (the connection is closing): Hocuspocus must not apply it again.
    if (open.droppedPending) throw open.droppedPending;
    const pendingAfter = [store.pendingStructs?.update ?? null, store.pendingDs];
    const newlyPending = pendingAfter.some((part, index) => part !== null && part !== pendingBefore[index]);
    if (newlyPending) this.capture(open, payload, origin);
    const writer = this.writers.get(open.documentId);
    // Nothing new, and nothing of it may be queued any more: a reader of a document no longer stored is answered.
    if (!writer || (writer.stopped && writer.counter === counterBefore)) return;
    // An update that carries nothing (a handshake's answer from a client with nothing new) waits for no one's commit.
    if (writer.counter === counterBefore && carriesNothing(payload)) return;
    // Hocuspocus handles a connection's messages one at a time and, once it closed, waits for them before
    // its disconnect hooks: a wait past the close would keep the document from unloading for as long as the
    // database holds writes. The update stays queued and is stored later; only its acknowledgement is dropped.
    const outcome = await Promise.race([writer.stored(), this.closingOf(connection)]);
    if (outcome === 'closed') throw new UpdateNotAcknowledgedError(open.documentId);
    if (outcome) return;
    this.refuse(
      open.documentId,
      connection,
      new YjsUpdateRefusedError(
        open.documentId,
        'documentNotStored',
        'storage',
        'the extension stopped storing the document',
      ),
    );
  }

  /** Resolves 'closed' once Hocuspocus closes `connection`; at once when it already did. */
  private closingOf(connection: ClosableConnection): Promise<'closed'> {
    let closing = this.closing.get(connection);
    if (!closing) {
      closing = new Promise((resolve) => {
        if (connectionClosed(connection)) resolve('closed');
        else connection.onClose?.(() => resolve('closed'));
      });
      this.closing.set(connection, closing);
    }
    return closing;
  }

  /** Reports `refusal`, closes the client's WebSocket with its code and reason, and throws it into Hocuspocus. */
  private refuse(documentId: string, connection: ClosableConnection, refusal: YjsUpdateRefusedError): never {
    this.report(refusal, { operation: 'refuse', documentId });
    closeWebSocket(connection, refusal);
    throw refusal; // Hocuspocus closes the document's connection with the error's code and reason
  }

  /** Hocuspocus hook: applies what was stored between the load's read and now, and snapshots when due. */
  async afterLoadDocument({ documentName }: Pick<YjsDocumentHookPayload, 'documentName'>): Promise<void> {
    const open = this.open.get(this.options.documentId(documentName));
    if (!open || this.closed) return;
    open.loading = false;
    open.schedulePull(); // what was committed between the load's read and now
    if (open.snapshotDue()) void open.snapshot();
  }

  /**
   * Hocuspocus hook: waits (at most `flushTimeoutMs`) for the document's queued deltas and snapshots it when
   * `snapshotOnUnload` says so; never throws.
   */
  async beforeUnloadDocument({ documentName }: Pick<YjsDocumentHookPayload, 'documentName'>): Promise<void> {
    // Never throws: a rejection here would keep the document loaded for good.
    const documentId = this.options.documentId(documentName);
    const open = this.open.get(documentId);
    if (!open || this.closed) return;
    const writer = this.writers.get(documentId);
    if (writer) await atMost(writer.drain(), this.options.flushTimeoutMs);
    if (this.options.snapshotOnUnload && open.hasUnsnapshottedDeltas && open.grownEnough()) await open.snapshot();
  }

  /** Hocuspocus hook: forgets the document's writer once nothing of it is queued. */
  async afterUnloadDocument({ documentName }: Pick<YjsDocumentHookPayload, 'documentName'>): Promise<void> {
    const documentId = this.options.documentId(documentName);
    // A writer with deltas left keeps retrying; a later load of the document continues from it.
    if (this.writers.get(documentId)?.idle && !this.open.has(documentId)) this.writers.delete(documentId);
  }

  /**
   * Hocuspocus hook: a stateless message broadcast to a document's clients here (`document.broadcastStateless`)
   * reaches its clients on every other server too, through the storage's relay.
   */
  async beforeBroadcastStateless({ documentName, payload }: { documentName: string; payload: string }): Promise<void> {
    this.relayToOthers(this.options.documentId(documentName), { t: 's', p: payload });
  }

  /**
   * Closes every connection of `documentName` on this server (Hocuspocus `closeConnections`) and on every other
   * server sharing the storage; their clients reconnect. Resolves once the other servers were told.
   */
  async closeConnections(documentName: string): Promise<void> {
    this.instance?.closeConnections(documentName);
    await this.relayToOthers(this.options.documentId(documentName), { t: 'c' });
  }

  /** Hocuspocus hook: `close()` when the server is destroyed. */
  async onDestroy(): Promise<void> {
    await this.close();
  }

  /**
   * Waits (at most `flushTimeoutMs`, or `timeoutMs`) for queued deltas, then stops: deltas still not
   * stored are given up (the clients that sent them send them again to the next server they reach),
   * and the feed subscription ends. Idempotent.
   */
  async close({ timeoutMs = this.options.flushTimeoutMs }: { timeoutMs?: number } = {}): Promise<void> {
    if (this.closed) return;
    await atMost(Promise.all([...this.writers.values()].map((writer) => writer.drain())), timeoutMs);
    this.closed = true;
    for (const writer of this.writers.values()) writer.stop();
    for (const open of this.open.values()) open.closed = true;
    this.subscription?.unsubscribe();
    this.subscription = null;
    this.relaySubscription?.unsubscribe();
    this.relaySubscription = null;
    for (const { presence } of this.presence.values()) presence?.close();
    this.presence.clear();
  }

  /**
   * True while nothing is queued, in flight or due: every update captured so far is stored and every
   * pull done. False while a document's writer has stopped on an error (see `documentsNotStored`).
   */
  get idle(): boolean {
    return (
      this.notStored.size === 0 &&
      [...this.writers.values()].every((writer) => writer.idle) &&
      ![...this.open.values()].some((o) => o.busy)
    );
  }

  /**
   * The documents whose updates this server stopped storing (the store refused their data for good, or
   * another process writes under this writer id); reported once through `onError` with `fatal: true`.
   * Their clients' updates are refused (4503) until the document loads again.
   */
  get documentsNotStored(): string[] {
    return [...this.notStored];
  }

  private report(error: unknown, context: YjsStorageErrorContext): void {
    try {
      this.options.onError(error, context);
    } catch {
      // A failing error handler must not break Yjs's event loop or a hook.
    }
  }

  /** Stores every update of `open` except what came from storage; never throws into Yjs. */
  private capture(open: OpenYDocument, update: Uint8Array, origin: unknown): void {
    if (this.closed || open.closed || origin === LOAD_ORIGIN || origin === REMOTE_ORIGIN) return;
    try {
      const writer = this.writerFor(open);
      if (writer.stopped) return; // it gave up on this document, and said so once
      const delta = writer.append(update);
      open.storedBytes += update.byteLength;
      setCounter(open.applied, this.writerId, ownCounter(delta)); // same step as the Y.Doc change
    } catch (error) {
      this.report(error, { operation: 'capture', documentId: open.documentId });
    }
  }

  /** This server's updates of an earlier load that are not stored yet: the new Document holds them too. */
  private replayQueued(open: OpenYDocument): void {
    const writer = this.writers.get(open.documentId);
    if (!writer || writer.stopped) return;
    for (const delta of writer.pending()) Y.applyUpdate(open.doc, delta.data as Uint8Array, LOAD_ORIGIN);
    setCounter(open.applied, this.writerId, Math.max(counterOf(open.applied, this.writerId), writer.counter));
  }

  /** Keeps what Yjs holds pending in `open` bounded and harmless; closes the connection whose update broke that. */
  private checkPending(open: OpenYDocument, origin: unknown): void {
    const dropped = checkPending(this.options, open.documentId, open.doc, open.pendingSeen);
    if (!dropped) return;
    const { refusal, byThisTransaction } = dropped;
    if (byThisTransaction) open.droppedPending = refusal;
    this.report(refusal, { operation: 'refuse', documentId: open.documentId });
    const connection = byThisTransaction ? connectionOf(origin) : undefined;
    closeWebSocket(connection, refusal);
    connection?.close({ code: refusal.code, reason: refusal.reason });
  }

  private writerFor(open: OpenYDocument): YjsDeltaWriter {
    const { documentId } = open;
    let writer = this.writers.get(documentId);
    if (writer) return writer;
    writer = new YjsDeltaWriter(this.options.storage.documents, documentId, {
      writerId: this.writerId,
      counter: counterOf(open.applied, this.writerId),
      maxBatch: this.options.maxBatch,
      retryDelayMs: this.options.retryDelayMs,
      onStored: (batch) => this.stored(documentId, batch),
      onError: (error, context) => {
        if (context.fatal) this.notStored.add(documentId);
        this.report(error, { operation: 'store', documentId, ...context });
      },
      replaceBySnapshot: async (delta, refusal) => {
        await this.replaceBySnapshot(documentId, delta);
        this.report(refusal, { operation: 'store', documentId, deltaId: delta.id, replacedBySnapshot: true });
      },
    });
    this.writers.set(documentId, writer);
    return writer;
  }

  private stored(documentId: string, batch: readonly StoredDelta[]): void {
    const bytes = batch.reduce((sum, delta) => sum + (delta.data as Uint8Array).byteLength, 0);
    this.open.get(documentId)?.count(batch.length, bytes);
  }

  /**
   * A delta the store refuses (over `maxDeltaBytes`) is stored inside a snapshot instead: of the open
   * document (its applied clock names the delta), or else of the stored state plus this writer's queue.
   */
  private async replaceBySnapshot(documentId: string, delta: StoredDelta): Promise<void> {
    const open = this.open.get(documentId);
    const { storage, compact } = this.options;
    // A document holding pending structs is not snapshotted (see OpenYDocument.holdsPending): the stored state is.
    if (open && !open.closed && !open.holdsPending) {
      // A snapshot stored since holds it: one snapshot for a run of large deltas, not one each.
      if (counterOf(open.lastSnapshotClock, this.writerId) >= ownCounter(delta)) return;
      open.snapshotStored(await snapshotYDoc(storage.documents, documentId, open.doc, open.applied, { compact }));
      return;
    }
    const { doc, clock } = await loadYDoc(storage.documents, documentId);
    for (const queued of this.writers.get(documentId)?.pending() ?? [delta])
      Y.applyUpdate(doc, queued.data as Uint8Array);
    setCounter(clock, this.writerId, Math.max(counterOf(clock, this.writerId), ownCounter(delta)));
    await snapshotYDoc(storage.documents, documentId, doc, clock, { compact });
  }

  /** Relays the presence of this document's clients, and shows other servers' (stored ones first). */
  private followPresence(documentId: string, documentName: string, document: Y.Doc): void {
    const target = document as unknown as RelayTargetDocument;
    const { storage, writerId, presenceRefreshMs } = this.options;
    this.presence.get(documentId)?.presence?.close();
    let presence: DocumentPresence | null = null;
    if (typeof storage.relay === 'function' && target.awareness) {
      const relaying = { relay: storage.relay.bind(storage), awareness: storage.awareness };
      const report = (error: unknown): void => this.report(error, { operation: 'relay', documentId });
      presence = new DocumentPresence(
        documentId,
        target,
        target.awareness,
        relaying,
        writerId,
        presenceRefreshMs,
        report,
      );
      presence.loadStored().catch(report);
    }
    this.presence.set(documentId, { documentName, presence, document: target });
  }

  private relayToOthers(documentId: string, message: YjsRelayMessage): Promise<void> {
    const { storage, writerId } = this.options;
    if (this.closed || typeof storage.relay !== 'function') return Promise.resolve();
    return storage
      .relay(documentId, JSON.stringify(message), { from: writerId })
      .catch((error: unknown) => this.report(error, { operation: 'relay', documentId }));
  }

  private receiveRelayed({ documentId, from, message }: RelayedMessage): void {
    if (this.closed || from === this.writerId) return;
    const followed = this.presence.get(documentId);
    const parsed = followed ? parseYjsRelayMessage(message) : null;
    if (!followed || !parsed) return;
    if (parsed.t === 'c') this.instance?.closeConnections(followed.documentName);
    else followed.presence?.receive(parsed);
    if (parsed.t === 's' && !followed.presence) followed.document.relayStateless?.(parsed.p);
  }

  private subscribe(): void {
    const { storage } = this.options;
    if (!this.relaySubscription && !this.closed && typeof storage.relayed === 'function')
      this.relaySubscription = storage.relayed().subscribe({
        next: (message) => this.receiveRelayed(message),
        error: (error: unknown) => this.report(error, { operation: 'relay' }),
      });
    if (this.subscription || this.closed) return;
    this.subscription = this.options.storage.changes().subscribe({
      next: (change) => this.followChange(change),
      error: (error: unknown) => this.report(error, { operation: 'feed' }),
    });
  }

  private followChange(change: StorageChange): void {
    if (this.closed) return;
    // A store of contract version 2 may still send a resync naming no document: every open one catches up.
    if (change.documentId === null) {
      for (const open of this.open.values()) open.schedulePull();
      return;
    }
    const open = this.open.get(change.documentId);
    if (!open) return;
    if (change.kind === 'resync') {
      open.schedulePull(); // the feed could not read what this document missed: only it catches up
    } else if (change.kind === 'deltas') {
      const ownPrefix = `${this.writerId}:`;
      const ids = Array.isArray(change.deltaIds) ? change.deltaIds : [];
      if (ids.length === 0 || !ids.every((id) => typeof id === 'string' && id.startsWith(ownPrefix)))
        open.schedulePull();
    } else if (change.kind === 'snapshot') {
      open.snapshotAnnounced();
      open.schedulePull(); // it may hold content that never was a delta
    } else if (change.kind === 'deleted') {
      const error = new Error('the document was deleted from storage while open; close its connections first');
      this.report(error, { operation: 'deleted', documentId: change.documentId });
    }
  }
}
