import { createHash, randomBytes } from 'node:crypto';
import type { ClientConfig as PgClientConfig } from 'pg';
import { StorageError, StorageUnavailableError } from '../contract/errors.js';
import type { ResolvedStorageOptions } from '../contract/options.js';
import type { StorageHealth } from '../contract/types.js';
import { ProviderCore } from '../provider-core.js';
import { defaultStorageLogger, elapsedSince, type StorageLogger } from '../storage.logger.js';
import { toStorageError, unavailabilityReason } from './postgres-errors.js';
import type { FeedTarget, SqlStatement } from './sql/sql-fragments.js';
import { settleTls } from './connection-settings.js';
import { ownConnectionPlan } from './own-connection.js';
import { hostOrmPlan } from './host-orm.js';
import type { ConnectionPlan, StorageConnection } from './storage-connection.js';
import type { StoragePool, TransactionOptions } from './storage-pool.js';
import { qualifiedTables, type QualifiedTables } from './storage-tables.js';

/** Runs statements, with their values as bound parameters. */
export interface SqlExecutor {
  rows<Row extends object>(statement: SqlStatement): Promise<Row[]>;
}

export type { TransactionOptions } from './storage-pool.js';

/**
 * Called after each statement of a transaction, before the next one is sent (tests put a concurrent write
 * there to prove a transaction's reads share one view).
 */
export type StatementObserver = (statement: SqlStatement) => Promise<void>;

const HEALTH_TIMED_OUT = 'storage health check timed out';
/** `listenUrl` alone says where the feed connects: the pool's own parts and TLS option are left out. */
const NO_CONNECTION_PARTS = {
  host: undefined,
  port: undefined,
  user: undefined,
  password: undefined,
  dbName: undefined,
  ssl: undefined,
};
const NOTIFY_PREFIX = 'sync_storage:';
/** PostgreSQL's longest channel name (NAMEDATALEN - 1). */
const MAX_CHANNEL_LENGTH = 63;

/**
 * The postgres driver's connection: opens its pool (on the module's connection options, or on the database of
 * the app's MikroORM, option `orm`), migrates, runs statements with bound parameters, and turns every driver
 * error into a `StorageError` that carries no SQL, no value and no secret (the driver's error stays as `cause`).
 */
export class PostgresDatabase implements SqlExecutor {
  readonly tables: QualifiedTables;
  /** Where this provider sends its hints; `origin` tells its own hints from other instances'. */
  readonly feed: FeedTarget;
  /** How long a call may wait for a connection (the pool's acquire timeout, `mikroOrm` overrides included). */
  readonly acquireTimeoutMs: number;
  /** Test seam: see `StatementObserver`. */
  statementObserver: StatementObserver | undefined;
  private readonly plan: ConnectionPlan;
  private connection: StorageConnection | undefined;
  private ready = false;
  private opening: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private pendingPing: Promise<void> | undefined;
  /** Calls waiting for a pooled connection, each with a way to reject it. */
  private readonly waitingForConnection = new Set<(error: Error) => void>();

  constructor(
    private readonly options: ResolvedStorageOptions,
    private readonly logger: StorageLogger = defaultStorageLogger(),
    /** The provider's open state: closing the provider closes this connection's calls too. */
    readonly state: ProviderCore = new ProviderCore('postgres'),
  ) {
    this.plan = planConnection(options);
    this.acquireTimeoutMs = this.plan.acquireTimeoutMs;
    this.tables = qualifiedTables(this.plan.schema);
    // A random bigint: logged with each write, so the feed tells this provider's changes from others'.
    this.feed = { channel: changeChannel(this.plan.schema), origin: randomBytes(8).readBigInt64BE().toString() };
  }

  /** Whether the change feed listens on `listenUrl`, a connection the app says is direct (no pooler check). */
  get listensDirectly(): boolean {
    return this.options.listenUrl !== undefined;
  }

  /** `host:port/db` of the pool's server, for messages. */
  get target(): string {
    return this.plan.target;
  }

  /**
   * The pg settings of the change feed's own connection: `listenUrl`'s parts over the pool's settings (what
   * it leaves out, such as the password, is the pool's; TLS from its sslmode, else the pool's), or the
   * pool's settings as they are.
   */
  async listenSettings(): Promise<PgClientConfig> {
    this.connectedPool();
    const pool = this.connection!.settings;
    const listenUrl = this.options.listenUrl;
    if (listenUrl === undefined) return pool;
    const { sslMode, ssl, ...listen } = await settleTls(
      { ...this.options, clientUrl: listenUrl, ...NO_CONNECTION_PARTS },
      this.acquireTimeoutMs,
    );
    const given = Object.entries(listen).filter(([, value]) => value !== undefined);
    return { ...pool, ...Object.fromEntries(given), ssl: sslMode === undefined ? pool.ssl : ssl };
  }

  /** The server process a statement of the pool runs on (the change feed's pooler check). */
  async poolBackendPid(): Promise<number> {
    const [row] = await this.rows<{ pid: number }>({
      name: 'backend pid',
      sql: 'select pg_backend_pid() as pid',
      params: [],
    });
    return row!.pid;
  }

  /** Connects, then migrates (under an advisory lock) or checks the tables exist. Idempotent; retried after a failure. */
  open(): Promise<void> {
    if (this.state.closed) return Promise.reject(this.state.closedError());
    this.opening ??= this.connect().catch(async (error: unknown) => {
      this.opening = undefined;
      await this.release();
      throw this.wrap(error);
    });
    return this.opening;
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.state.close();
      this.ready = false;
      // Calls still waiting for a pooled connection end now; statements already sent finish first.
      for (const abandon of this.waitingForConnection) abandon(this.state.closedError());
      this.waitingForConnection.clear();
      this.closing = (async () => {
        await this.opening?.catch(() => undefined);
        await this.release();
      })();
    }
    return this.closing;
  }

  async rows<Row extends object>(statement: SqlStatement): Promise<Row[]> {
    const pool = this.connectedPool();
    try {
      return await this.onceConnected((sent) =>
        pool.query<Row>(positionalSql(statement.sql), statement.params as unknown[], sent),
      );
    } catch (error) {
      throw this.wrap(error);
    }
  }

  /** Runs `work` in one transaction (READ COMMITTED unless asked otherwise); a `StorageError` it throws passes through. */
  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const pool = this.connectedPool();
    try {
      return await this.onceConnected((began) =>
        pool.transaction(
          (run) =>
            work({
              rows: async <Row extends object>(statement: SqlStatement) => {
                const rows = await run<Row>(positionalSql(statement.sql), statement.params as unknown[]);
                await this.statementObserver?.(statement);
                return rows;
              },
            }),
          options,
          began,
        ),
      );
    } catch (error) {
      throw this.wrap(error);
    }
  }

  /**
   * Runs `call`, which reports through `connected()` when it got a pooled connection. Until then, closing
   * the provider rejects it at once: the pool itself would only give up on it after its acquire timeout.
   */
  private onceConnected<T>(call: (connected: () => void) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const abandon = (error: Error): void => {
        settled = true;
        reject(error);
      };
      this.waitingForConnection.add(abandon);
      const connected = (): void => void this.waitingForConnection.delete(abandon);
      call(connected).then(
        (value) => {
          connected();
          if (!settled) resolve(value);
        },
        (error: unknown) => {
          connected();
          if (!settled) reject(error);
        },
      );
    });
  }

  /** A `select 1` round trip bounded by `timeoutMs`; never rejects, and its message is one of a few fixed texts. */
  async checkHealth(timeoutMs: number): Promise<StorageHealth> {
    const started = performance.now();
    const report = (healthy: boolean, message?: string): StorageHealth => ({
      healthy,
      driver: 'postgres',
      latencyMs: performance.now() - started,
      ...(message === undefined ? {} : { message }),
    });
    if (!this.ready) return report(false, 'storage provider is not initialised');
    const outcome = await settleWithin(this.ping(), timeoutMs);
    if (outcome.status === 'ok') return report(true);
    if (outcome.status === 'timeout') return report(false, HEALTH_TIMED_OUT);
    return report(false, `database unavailable: ${unavailabilityReason(outcome.error) ?? 'query failed'}`);
  }

  /**
   * One ping at a time: checks made while one is pending share it, so a hung server costs the pool at
   * most one connection, which goes back when the round trip ends (or the query timeout fires).
   */
  private ping(): Promise<void> {
    if (!this.pendingPing) {
      const pool = this.connectedPool();
      this.pendingPing = pool
        .query('select 1', [])
        .then(() => undefined)
        .finally(() => {
          this.pendingPing = undefined;
        });
    }
    return this.pendingPing;
  }

  /** Connects, migrates or checks the tables, and tells the log each step with its time. */
  private async connect(): Promise<void> {
    const started = performance.now();
    const { target, schema } = this.plan;
    const pool = this.options.orm === undefined ? 'its own pool' : "a pool on the app's MikroORM database";
    this.logger.log(`postgres driver: connecting to ${target}, schema "${schema}", on ${pool}`);
    const connection = await this.plan.open();
    this.connection = connection;
    // A plain round trip first, so an unreachable server fails with a clear message before migrating.
    await this.firstRoundTrip(connection.pool);
    this.logger.log(`connected to ${target} in ${elapsedSince(started)}`);
    const step = performance.now();
    if (this.options.migrate) {
      const applied = await connection.migrate({
        lockWait: () =>
          this.logger.log(`waiting for the storage migration lock held by another session (schema "${schema}")`),
      });
      this.logger.log(
        applied.length === 0
          ? `storage migrations up to date in schema "${schema}" (checked in ${elapsedSince(step)})`
          : `applied ${applied.length} storage migration${applied.length === 1 ? '' : 's'} in schema "${schema}" in ${elapsedSince(step)}: ${applied.join(', ')}`,
      );
    } else {
      await this.assertTablesExist(connection.pool);
      this.logger.log(`storage tables found in schema "${schema}" (migrate: false; checked in ${elapsedSince(step)})`);
    }
    if (this.state.closed) return;
    this.ready = true;
    this.logger.log(`postgres driver ready in ${elapsedSince(started)}`);
  }

  /**
   * `select 1`. At start-up nothing else holds the driver's pool, so a connection that timed out, or a pool
   * that gave none in time, means connecting never completed: a server that accepts and never answers.
   */
  private async firstRoundTrip(pool: StoragePool): Promise<void> {
    try {
      await pool.query('select 1', []);
    } catch (error) {
      const reason = unavailabilityReason(error);
      if (reason !== 'connection timed out' && reason !== 'no pooled connection became free in time') throw error;
      throw new StorageUnavailableError(
        `PostgreSQL at ${this.plan.target} is unavailable: connect timed out after ${this.plan.connectTimeoutMs / 1000} s (the server accepted the connection and never answered)`,
        { cause: error },
      );
    }
  }

  /** Ends the driver's own ORM and pool; an app's ORM stays open. */
  private async release(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    await connection?.release().catch(() => undefined);
  }

  private async assertTablesExist(pool: StoragePool): Promise<void> {
    // The function of the newest migration: present only when every migration ran.
    const rows = await pool.query<{ found: string | null }>('select to_regprocedure($1) as found', [
      `${this.tables.addDelta}(text,bigint,text,text,bigint,bigint,jsonb,text,bytea,integer,bigint)`,
    ]);
    if (!rows[0]?.found)
      throw new StorageError(
        `the storage tables are missing or out of date in schema "${this.plan.schema}": run the migrations (option migrate: true, npx nest-sync-storage-migrations up, or the app's migrator with storageMigrations)`,
      );
  }

  private connectedPool(): StoragePool {
    if (this.state.closed) throw this.state.closedError();
    if (!this.ready || !this.connection)
      throw new StorageUnavailableError('the postgres storage provider is not initialised: call initialize() first');
    return this.connection.pool;
  }

  /** After close, whatever a call was doing failed because the pool went away. */
  wrap(error: unknown): StorageError {
    if (this.state.closed && !(error instanceof StorageError)) return this.state.closedError();
    return toStorageError(error, this.plan.target);
  }
}

/** `?` placeholders as pg's `$n`, computed once per distinct SQL text. */
const positional = new Map<string, string>();
function positionalSql(sql: string): string {
  let text = positional.get(sql);
  if (text === undefined) {
    let n = 0;
    text = sql.replace(/\?/g, () => `$${++n}`);
    if (positional.size < 1000) positional.set(sql, text);
  }
  return text;
}

/** The NOTIFY channel of a schema: one per schema, so instances on other schemas do not hear each other. */
export function changeChannel(schema: string): string {
  const channel = `${NOTIFY_PREFIX}${schema}`;
  if (channel.length <= MAX_CHANNEL_LENGTH) return channel;
  // A long schema name keeps its start and gains a digest, so two long names stay apart.
  const digest = createHash('sha256').update(schema).digest('hex').slice(0, 16);
  return `${channel.slice(0, MAX_CHANNEL_LENGTH - digest.length - 1)}~${digest}`;
}

type Outcome = { status: 'ok' } | { status: 'timeout' } | { status: 'error'; error: unknown };

function settleWithin(promise: Promise<unknown>, timeoutMs: number): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    const timer = setTimeout(() => resolve({ status: 'timeout' }), timeoutMs);
    timer.unref();
    promise.then(
      () => {
        clearTimeout(timer);
        resolve({ status: 'ok' });
      },
      (error: unknown) => {
        clearTimeout(timer);
        resolve({ status: 'error', error });
      },
    );
  });
}

/** The driver's pool on the module's connection options, or (option `orm`) on the app's MikroORM's database. */
function planConnection(options: ResolvedStorageOptions): ConnectionPlan {
  return options.orm === undefined
    ? ownConnectionPlan(options)
    : hostOrmPlan(options.orm, options.schema, options.pool);
}
