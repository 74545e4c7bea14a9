import { Logger } from '@nestjs/common';
import type { ClientConfig } from 'pg';
import pgListen, { type Options as ListenOptions, type Subscriber } from 'pg-listen';
import { StorageError } from '../contract/errors.js';
import type { RelayedMessage } from '../contract/types.js';
import { isId } from '../contract/validation.js';
import { MAX_RELAY_MESSAGE_BYTES } from './relay.js';

/**
 * A hint as another instance (or this one) sends it after its writes commit: which documents changed and
 * which awareness entries. Only a hint: the feed reads what changed from storage, so a lost, repeated or
 * forged hint can delay a change or cost a read, never invent, skip or repeat one.
 */
export interface ChangeHint {
  /** The sending provider. */
  origin: string;
  /** Documents with new versions. */
  documents: string[];
  /** Awareness entries written or removed: `[documentId, clientId]`. */
  awareness: [string, string][];
  /**
   * Documents erased: `[documentId, version, position]`, the version and log position the erase took. An
   * erase leaves no log row to read, so the feed checks in storage that the document's rows are gone first.
   */
  erased: [string, number, number][];
  /** Messages relayed by the sender (`StorageProvider.relay`), not a hint of a write. */
  relayed: RelayedMessage[];
}

/** What the listener reports to the feed. */
export interface ChangeListenerEvents {
  hinted(hint: ChangeHint): void;
  /** The connection listens (again): hints sent meanwhile are lost, storage must be read. */
  listening(): void;
  /** The feed cannot run as configured (`beforeListen` refused the settings); a later start tries again. */
  failed(error: StorageError): void;
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

/** How often at most a bad notification is logged (any role that may connect can send one). */
const REPORT_EVERY_MS = 60_000;

/**
 * The postgres change feed's ONE dedicated connection per provider (outside the pool, through pg-listen, which
 * reconnects it), listening on the schema's channel. It only validates hints and hands them on; writes never
 * wait for it, and losing it loses nothing but latency (the feed polls the change log).
 */
export class PostgresChangeListener {
  private subscriber: Subscriber | undefined;
  /** Bumped by every start and stop, so a late connect of an earlier start gives up. */
  private generation = 0;
  private running = false;
  private readonly logger = new Logger('StorageChangeFeed');
  private badSinceReport = 0;
  private lastReport = 0;

  constructor(
    /** Builds the settings of the listening connection: the one place that decides where it connects. */
    private readonly settings: () => Promise<ClientConfig>,
    private readonly channel: string,
    private readonly events: ChangeListenerEvents,
    /**
     * Checks the connection settings before the feed connects; a `StorageError` it throws fails the feed's
     * start-up (every subscription errors with it) instead of being retried.
     */
    private readonly beforeListen: (settings: ClientConfig) => Promise<void> = async () => undefined,
  ) {}

  /** Opens the connection unless it is open or opening (in the background; retried until `stop()`). */
  start(): void {
    if (this.running) return;
    this.running = true;
    const generation = ++this.generation;
    void this.connect(generation, 0);
  }

  /** Closes the connection; safe to call when it never opened. */
  async stop(): Promise<void> {
    this.running = false;
    this.generation++;
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    await subscriber?.close().catch(() => undefined);
  }

  private async connect(generation: number, attempt: number): Promise<void> {
    let settings: ClientConfig;
    try {
      settings = await this.settings();
      await this.beforeListen(settings);
    } catch (error) {
      if (this.generation !== generation) return;
      if (error instanceof StorageError) {
        this.running = false;
        return this.events.failed(error);
      }
      // The check could not run (the server is down): retried like a failed connect.
      return this.retry(generation, attempt);
    }
    const subscriber = createSubscriber(settings, {
      retryInterval: backoff,
      retryLimit: Infinity,
      retryTimeout: 0,
      // The payload is validated here, as text: pg-listen would parse it and throw on bad JSON.
      parse: (text: string) => text,
    });
    subscriber.notifications.on(this.channel, (payload: unknown) => this.receive(payload));
    const stopped = (): boolean => this.generation !== generation;
    // pg-listen has reconnected and listens again: hints sent meanwhile are lost, the feed reads the log. A
    // reconnection that completes after stop() closes at once.
    subscriber.events.on('connected', () => {
      if (this.subscriber === subscriber) this.events.listening();
      else if (stopped()) void subscriber.close().catch(() => undefined);
    });
    // pg-listen's reconnection loop does not end with close(): a throw from its 'reconnect' event ends it
    // (reported as an 'error', ignored below), so a stopped provider stops dialling the server.
    subscriber.events.on('reconnect', () => {
      if (stopped()) throw new Error('the change listener was stopped');
    });
    // Reconnection errors are retried by pg-listen; the feed's polling covers the time it takes.
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
    this.events.listening();
  }

  private async retry(generation: number, attempt: number): Promise<void> {
    if (this.generation !== generation) return;
    await new Promise((done) => setTimeout(done, backoff(attempt)).unref());
    if (this.generation !== generation) return;
    return this.connect(generation, attempt + 1);
  }

  /** The one place a notification's payload is checked: a bad one is reported (never echoed) and ignored. */
  private receive(payload: unknown): void {
    const hint = parseHint(payload);
    if (hint) this.events.hinted(hint);
    else this.reportBadPayload();
  }

  private reportBadPayload(): void {
    this.badSinceReport++;
    const now = Date.now();
    if (now - this.lastReport < REPORT_EVERY_MS) return;
    this.lastReport = now;
    this.logger.warn(
      `ignored ${this.badSinceReport} malformed notification(s) on the storage channel: another role may be sending them`,
    );
    this.badSinceReport = 0;
  }
}

/** The compact wire form of a hint: `{ o, d?, a?, e? }`; keys kept short to stay far below PostgreSQL's 8000 bytes. */
export interface HintPayload {
  o: string;
  d?: string[];
  a?: [string, string][];
  e?: [string, number, number][];
  /** Relayed messages: `[documentId, from, message]`. */
  r?: [string, string, string][];
}

/** A hint from a payload's text, or null when it is not one (any other shape, type or size). */
export function parseHint(payload: unknown): ChangeHint | null {
  if (typeof payload !== 'string' || payload.length > 8000) return null;
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const { o, d = [], a = [], e = [], r = [] } = value as Record<string, unknown>;
  if (!isId(o) || !Array.isArray(d) || !Array.isArray(a) || !Array.isArray(e) || !Array.isArray(r)) return null;
  if (!d.every(isId)) return null;
  if (!a.every((pair) => Array.isArray(pair) && pair.length === 2 && isId(pair[0]) && isId(pair[1]))) return null;
  const counted = (value: unknown) => Number.isSafeInteger(value) && (value as number) > 0;
  if (
    !e.every(
      (each) => Array.isArray(each) && each.length === 3 && isId(each[0]) && counted(each[1]) && counted(each[2]),
    )
  )
    return null;
  if (!r.every(isRelayedEntry)) return null;
  const relayed = (r as [string, string, string][]).map(([documentId, from, message]) => ({
    documentId,
    from,
    message,
  }));
  return {
    origin: o,
    documents: d as string[],
    awareness: a as [string, string][],
    erased: e as [string, number, number][],
    relayed,
  };
}

function isRelayedEntry(entry: unknown): boolean {
  if (!Array.isArray(entry) || entry.length !== 3) return false;
  const [documentId, from, message] = entry as unknown[];
  return isId(documentId) && isId(from) && typeof message === 'string' && message.length <= MAX_RELAY_MESSAGE_BYTES;
}
