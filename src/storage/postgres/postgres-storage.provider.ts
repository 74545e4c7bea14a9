import type { Observable } from 'rxjs';
import { ChangeHintSender } from '../changes/change-hints.js';
import { FEED_GRACE_MS, PostgresChangeFeed, type LoggedChange } from '../changes/postgres-change-feed.js';
import { PostgresChangeListener } from '../changes/postgres-change-listener.js';
import { assertSessionOfItsOwn } from '../changes/pooler-check.js';
import type { ResolvedStorageOptions } from '../contract/options.js';
import type {
  AwarenessStore,
  DocumentStore,
  ChangesOptions,
  RelayedMessage,
  RelayOptions,
  StorageChange,
  StorageHealth,
  StorageProvider,
  StorageRelay,
} from '../contract/types.js';
import { checkRelayMessage, RelayHub, RelaySender } from '../changes/relay.js';
import { ProviderCore } from '../provider-core.js';
import { PostgresAwarenessBackend } from './postgres-awareness.backend.js';
import { PostgresDatabase } from './postgres-database.js';
import { PostgresDocumentBackend } from './postgres-document.backend.js';
import { PostgresHistory } from './postgres-history.js';
import { changeLogSource } from './postgres-change-log.js';
import { pruneChangeLogStatement, sendHintsStatement } from './sql/change-log.sql.js';

/** How long the change log keeps a version: a subscriber can fall this far behind without a resync. */
const CHANGE_LOG_RETENTION_MS = 60 * 60 * 1000;
const PRUNE_BATCH = 10_000;
import { defaultStorageLogger, type StorageLogger } from '../storage.logger.js';

/**
 * The PostgreSQL driver (MikroORM 6 or 7 for its entities and migrations, its own pg pool for statements). `initialize()` connects and (unless `migrate: false`) applies pending
 * migrations under an advisory lock; every call then goes through the shared validation to a backend that
 * speaks SQL to the pool. Every content write appends to the change log in its own transaction; after commit
 * this provider publishes it and hints other instances (NOTIFY, outside the write), whose feeds read the log.
 */
export class PostgresStorageProvider implements StorageProvider, StorageRelay {
  readonly driver = 'postgres' as const;
  readonly documents: DocumentStore;
  readonly awareness: AwarenessStore;
  private readonly database: PostgresDatabase;
  private readonly documentBackend: PostgresDocumentBackend;
  private readonly history: PostgresHistory;
  private readonly core: ProviderCore;
  private readonly feed: PostgresChangeFeed;
  private readonly listener: PostgresChangeListener;
  private readonly hints: ChangeHintSender;
  private readonly relayHub: RelayHub;
  private readonly relaySender: RelaySender;
  /** Keeps the listening connection open while the relay has subscribers (it shares the feed's). */
  private relayFollowing: { unsubscribe(): void } | null = null;
  private stopTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: ResolvedStorageOptions,
    logger: StorageLogger = defaultStorageLogger(),
  ) {
    this.core = new ProviderCore(this.driver, options.metrics, {
      firstSubscribed: () => this.following(),
      lastUnsubscribed: () => this.scheduleStop(),
      documentSubscribed: (documentId) => this.feed.documentSubscribed(documentId),
      documentUnsubscribed: (documentId) => this.feed.documentUnsubscribed(documentId),
      everythingSubscribed: () => this.feed.everythingSubscribed(),
      everythingUnsubscribed: () => this.feed.everythingUnsubscribed(),
      resume: (documentId, afterVersion, release) => this.feed.resume(documentId, afterVersion, release),
    });
    this.database = new PostgresDatabase(options, logger, this.core);
    const { channel, origin } = this.database.feed;
    const sendHints = (payloads: string[]) => this.database.rows(sendHintsStatement(channel, payloads));
    this.hints = new ChangeHintSender(origin, sendHints, () => this.core.closed);
    this.relaySender = new RelaySender(origin, sendHints, () => this.core.closed);
    this.relayHub = new RelayHub({
      // The relay arrives on the feed's listening connection, which runs while the feed has a subscriber.
      firstSubscribed: () => (this.relayFollowing = this.core.hub.changes().subscribe({ error: () => undefined })),
      lastUnsubscribed: () => {
        this.relayFollowing?.unsubscribe();
        this.relayFollowing = null;
      },
    });
    this.documentBackend = new PostgresDocumentBackend(
      this.database,
      options.maxBatchDeltas,
      options.maxDocumentAuthors,
      (change, issuedAt) => this.committed(change, issuedAt),
      (this.history = new PostgresHistory(this.database, options.historyRetentionMs)),
      (documentId, version, position) => this.hints.documentErased(documentId, version, position),
      (documentId) => this.feed.startsRead(documentId),
    );
    const awareness = new PostgresAwarenessBackend(
      this.database,
      options.awarenessTimeoutMs,
      options.maxAwarenessEntriesPerDocument,
      (documentId, clientId) => this.awarenessChanged(documentId, clientId),
    );
    ({ documents: this.documents, awareness: this.awareness } = this.core.stores(
      this.documentBackend,
      awareness,
      options,
    ));
    this.feed = new PostgresChangeFeed(
      this.core.hub,
      changeLogSource(this.database),
      origin,
      options.changeFeedMaxDelayMs,
      this.core.metrics,
    );
    this.listener = new PostgresChangeListener(
      () => this.database.listenSettings(),
      channel,
      {
        hinted: (hint) => {
          // Messages this provider relayed reached its own subscribers when they were sent.
          if (hint.origin !== origin) for (const message of hint.relayed) this.relayHub.publish(message);
          if (hint.documents.length > 0 || hint.awareness.length > 0) this.feed.hinted(hint);
        },
        listening: () => this.feed.listening(),
        failed: (error) => {
          this.core.hub.fail(error);
          this.scheduleStop();
        },
      },
      // LISTEN needs a session of its own: through a transaction pooler, the feed fails naming listenUrl.
      async (settings) => {
        if (!this.database.listensDirectly)
          await assertSessionOfItsOwn(settings, () => this.database.poolBackendPid(), this.database.target);
      },
    );
  }

  initialize(): Promise<void> {
    return this.database.open();
  }

  changes(documentId?: string, options?: ChangesOptions): Observable<StorageChange> {
    return this.core.hub.changes(documentId, options);
  }

  /** Hands the message to this provider's subscribers now, and to other instances' within one relay window. */
  async relay(documentId: string, message: string, options: RelayOptions): Promise<void> {
    const checked = checkRelayMessage(documentId, message, options);
    if (this.core.closed) throw this.core.closedError();
    this.relaySender.add(checked);
    queueMicrotask(() => this.relayHub.publish(checked));
  }

  relayed(documentId?: string): Observable<RelayedMessage> {
    return this.relayHub.relayed(documentId);
  }

  checkHealth(): Promise<StorageHealth> {
    return this.core.checkHealth(() => this.database.checkHealth(this.options.healthCheckTimeoutMs));
  }

  async close(): Promise<void> {
    clearTimeout(this.stopTimer);
    this.core.close();
    this.relayHub.close();
    this.documentBackend.close();
    this.feed.close();
    await Promise.all([this.listener.stop(), this.database.close()]);
  }

  /**
   * Deletes the change log's rows older than `CHANGE_LOG_RETENTION_MS` (run by the module's prune timer). A
   * subscriber further behind than that gets a `resync` for the documents it missed.
   */
  async pruneChangeLog(): Promise<number> {
    let removed = 0;
    for (let batch = 0; batch < 10; batch++) {
      const [row] = await this.database.rows<{ removed: string }>(
        pruneChangeLogStatement(
          this.database.tables,
          Math.max(CHANGE_LOG_RETENTION_MS, this.options.historyRetentionMs),
          PRUNE_BATCH,
        ),
      );
      removed += Number(row!.removed);
      if (Number(row!.removed) < PRUNE_BATCH) break;
    }
    return removed;
  }

  /** Removes history past `historyRetentionMs` in bounded batches (run by the module's prune timer); no document lock. */
  pruneHistory(): Promise<number> {
    return this.history.prune();
  }

  private committed(change: LoggedChange, issuedAt: number): void {
    this.hints.documentChanged(change.documentId);
    this.feed.committed(change, issuedAt);
  }

  private awarenessChanged(documentId: string, clientId: string): void {
    this.hints.awarenessChanged(documentId, clientId);
    this.feed.awarenessCommitted(documentId, clientId);
  }

  /** A first subscriber: the listening connection opens (or stays, within the grace period). */
  private following(): void {
    clearTimeout(this.stopTimer);
    this.stopTimer = undefined;
    this.listener.start();
    this.feed.start();
  }

  /** The last subscriber left: the connection stays a while, so subscriptions that come and go cost nothing. */
  private scheduleStop(): void {
    clearTimeout(this.stopTimer);
    this.stopTimer = setTimeout(() => {
      this.stopTimer = undefined;
      this.feed.stop();
      void this.listener.stop();
    }, FEED_GRACE_MS);
    this.stopTimer.unref();
  }
}
