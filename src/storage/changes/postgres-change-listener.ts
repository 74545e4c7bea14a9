import type { ClientConfig } from 'pg';
import pgListen, { type Options as ListenOptions, type Subscriber } from 'pg-listen';
import { StorageError } from '../contract/errors.js';
import type { StorageChange } from '../contract/types.js';
import type { ChangeHub } from './change-hub.js';

/** A notification as the write functions send it: compact keys keep payloads far below PostgreSQL's 8000 bytes. */
interface ChangePayload {
  d: string;
  k: StorageChange['kind'];
  o: string;
  i?: string[];
  c?: string;
}

/**
 * pg-listen's main module is its function, which also carries itself as `default`; its types declare only
 * the default export, so TypeScript sees the module (ESM build) or the function (CommonJS build).
 */
const createSubscriber = ((pgListen as unknown as { default?: unknown }).default ?? pgListen) as (
  settings: ClientConfig,
  options: ListenOptions,
) => Subscriber;

/** Reconnection waits: 100 ms doubling up to 5 s, forever (a database down for an hour must still come back). */
const backoff = (attempt: number): number => Math.min(100 * 2 ** attempt, 5_000);

/**
 * The postgres change feed: ONE dedicated connection per provider (outside the pool, through pg-listen, which
 * reconnects it), listening on the schema's channel. Every change, this provider's own included, arrives
 * through it, so subscribers see each document's changes in commit order. Once it listens, and again after
 * it was lost and came back, it publishes one `resync`: notifications sent while it did not listen are
 * gone, subscribers must catch up.
 */
export class PostgresChangeListener {
  private subscriber: Subscriber | undefined;
  private connecting: Promise<void> | undefined;
  /** Bumped by every start and stop, so a late connect of an earlier start gives up. */
  private generation = 0;

  /**
   * `beforeListen` checks the connection settings before the feed connects; a `StorageError` it throws fails
   * the feed's start-up (every subscription errors with it) instead of being retried.
   */
  constructor(
    private readonly settings: () => Promise<ClientConfig>,
    private readonly channel: string,
    private readonly origin: string,
    private readonly hub: ChangeHub,
    private readonly beforeListen: (settings: ClientConfig) => Promise<void> = async () => undefined,
  ) {}

  /** Opens the connection (in the background; retried until it works or `stop()` is called). */
  start(): void {
    const generation = ++this.generation;
    this.connecting = this.connect(generation, 0).finally(() => {
      if (this.generation === generation) this.connecting = undefined;
    });
  }

  /**
   * Resolves once the connection listens, or after `boundMs`: a write of this provider that waits here is
   * announced to subscribers that came just before it.
   */
  async listening(boundMs: number): Promise<void> {
    if (!this.connecting) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.connecting, new Promise<void>((done) => (timer = setTimeout(done, boundMs)))]);
    clearTimeout(timer);
  }

  /** Closes the connection; safe to call when it never opened. */
  async stop(): Promise<void> {
    this.generation++;
    this.connecting = undefined;
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    await subscriber?.close().catch(() => undefined);
  }

  private async connect(generation: number, attempt: number): Promise<void> {
    const settings = await this.settings();
    try {
      await this.beforeListen(settings);
    } catch (error) {
      if (this.generation !== generation) return;
      if (error instanceof StorageError) return this.hub.fail(error);
      // The check could not run (the server is down): retried like a failed connect.
      return this.retry(generation, attempt);
    }
    const subscriber = createSubscriber(settings, {
      retryInterval: backoff,
      retryLimit: Infinity,
      retryTimeout: 0,
    });
    subscriber.notifications.on(this.channel, (payload: ChangePayload) => this.deliver(payload));
    const stopped = (): boolean => this.generation !== generation;
    // pg-listen has reconnected and listens again: what was sent meanwhile is lost. A reconnection that
    // completes after stop() closes at once.
    subscriber.events.on('connected', () => {
      if (this.subscriber === subscriber) this.hub.publishResync('local');
      else if (stopped()) void subscriber.close().catch(() => undefined);
    });
    // pg-listen's reconnection loop does not end with close(): a throw from its 'reconnect' event ends it
    // (reported as an 'error', ignored below), so a stopped provider stops dialling the server.
    subscriber.events.on('reconnect', () => {
      if (stopped()) throw new Error('the change listener was stopped');
    });
    // Reconnection errors are retried by pg-listen; nothing to report to subscribers until it is back.
    subscriber.events.on('error', () => undefined);
    try {
      await subscriber.connect();
      await subscriber.listenTo(this.channel);
    } catch {
      await subscriber.close().catch(() => undefined);
      return this.retry(generation, attempt);
    }
    if (this.generation !== generation) {
      await subscriber.close().catch(() => undefined);
      return;
    }
    this.subscriber = subscriber;
    // Another instance may have committed while this connection was opening, after its subscribers
    // subscribed: they catch up once now, as after a reconnect. (This provider's own writes waited.)
    this.hub.publishResync('local');
  }

  private async retry(generation: number, attempt: number): Promise<void> {
    if (this.generation !== generation) return;
    await new Promise((done) => setTimeout(done, backoff(attempt)).unref());
    if (this.generation !== generation) return;
    return this.connect(generation, attempt + 1);
  }

  private deliver(payload: ChangePayload): void {
    if (typeof payload?.d !== 'string' || typeof payload.k !== 'string') return;
    const change: StorageChange = {
      documentId: payload.d,
      kind: payload.k,
      source: payload.o === this.origin ? 'local' : 'remote',
    };
    if (payload.i) change.deltaIds = payload.i;
    if (payload.c !== undefined) change.clientId = payload.c;
    this.hub.publish(change);
  }
}
