import { IsolationLevel } from '@mikro-orm/core';
import type { MikroORM, PostgreSqlConnection } from '@mikro-orm/postgresql';
import { StorageError, StorageUnavailableError } from '../contract/errors.js';
import type { ResolvedStorageOptions } from '../contract/options.js';
import type { StorageHealth } from '../contract/types.js';
import { toStorageError, unavailabilityReason } from './postgres-errors.js';
import type { SqlStatement } from './sql/sql-fragments.js';
import { runStorageMigrations } from './run-storage-migrations.js';
import { CONNECTION_DEFAULTS, createStorageOrm, describeDatabase, storageOrmOptions } from './storage-orm.js';
import { DEFAULT_SCHEMA, qualifiedTables, type QualifiedTables } from './storage-tables.js';

/** Runs SQL; `?` placeholders are filled in by MikroORM (pass a Buffer for bytea, never a bare Uint8Array). */
export interface SqlExecutor {
  query<Row extends object>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
}

export interface TransactionOptions {
  /** A consistent view across several reads. */
  repeatableRead?: boolean;
  readOnly?: boolean;
}

const HEALTH_TIMED_OUT = 'storage health check timed out';

/**
 * The postgres driver's connection: owns the MikroORM instance and its pool, opens it (migrations
 * included), runs SQL, and turns every driver error into a `StorageError` without secrets.
 */
export class PostgresDatabase implements SqlExecutor {
  readonly tables: QualifiedTables;
  private readonly schema: string;
  private readonly target: string;
  private readonly secrets: string[];
  private orm: MikroORM | undefined;
  private ready = false;
  private closed = false;
  private opening: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private pendingPing: Promise<void> | undefined;

  /** How long a call may wait for a connection (the pool's acquire timeout, `mikroOrm` overrides included). */
  readonly acquireTimeoutMs: number;

  constructor(private readonly options: ResolvedStorageOptions) {
    this.acquireTimeoutMs =
      storageOrmOptions(options).pool?.acquireTimeoutMillis ?? CONNECTION_DEFAULTS.acquireTimeoutMs;
    this.schema = options.schema ?? DEFAULT_SCHEMA;
    this.tables = qualifiedTables(this.schema);
    this.target = describeDatabase(options);
    this.secrets = collectSecrets(options);
  }

  /** Connects, then migrates (under an advisory lock) or checks the tables exist. Idempotent; retried after a failure. */
  open(): Promise<void> {
    if (this.closed) return Promise.reject(this.closedError());
    this.opening ??= this.connect().catch(async (error: unknown) => {
      const orm = this.orm;
      this.orm = undefined;
      this.opening = undefined;
      await orm?.close(true).catch(() => undefined);
      throw this.wrap(error);
    });
    return this.opening;
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.ready = false;
      this.closing = (async () => {
        await this.opening?.catch(() => undefined);
        const orm = this.orm;
        this.orm = undefined;
        await orm?.close(true).catch(() => undefined);
      })();
    }
    return this.closing!;
  }

  async query<Row extends object>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    const connection = this.connection();
    try {
      return await connection.execute<Row[]>(sql, [...params], 'all');
    } catch (error) {
      throw this.wrap(error);
    }
  }

  /**
   * Sends several statements in one round trip. PostgreSQL runs a multi-statement query as one
   * implicit transaction: all of them or none. Each statement still reads a fresh snapshot
   * (READ COMMITTED), so one that follows a lock sees every commit made before the lock was granted.
   * Returns the rows of each statement, in order.
   */
  async batch(statements: readonly SqlStatement[]): Promise<object[][]> {
    const connection = this.connection();
    const sql = statements.map((statement) => statement.sql).join(';\n');
    try {
      return await connection.execute<object[][]>(
        sql,
        statements.flatMap((statement) => statement.params),
        'all',
      );
    } catch (error) {
      throw this.wrap(error);
    }
  }

  /** Runs `work` in one transaction (READ COMMITTED unless asked otherwise); a `StorageError` it throws passes through. */
  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const connection = this.connection();
    try {
      return await connection.transactional(
        (trx) =>
          work({
            query: <Row extends object>(sql: string, params: readonly unknown[] = []) =>
              connection.execute<Row[]>(sql, [...params], 'all', trx),
          }),
        {
          isolationLevel: options.repeatableRead ? IsolationLevel.REPEATABLE_READ : undefined,
          readOnly: options.readOnly,
        },
      );
    } catch (error) {
      throw this.wrap(error);
    }
  }

  /** A `select 1` round trip bounded by `timeoutMs`; never rejects, and its message never carries driver text. */
  async checkHealth(timeoutMs: number): Promise<StorageHealth> {
    const started = performance.now();
    const report = (healthy: boolean, message?: string): StorageHealth => ({
      healthy,
      driver: 'postgres',
      latencyMs: performance.now() - started,
      ...(message === undefined ? {} : { message }),
    });
    if (this.closed) return report(false, 'storage provider is closed');
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
      const connection = this.connection();
      this.pendingPing = connection
        .execute('select 1', [], 'all')
        .then(() => undefined)
        .finally(() => {
          this.pendingPing = undefined;
        });
    }
    return this.pendingPing;
  }

  private async connect(): Promise<void> {
    const orm = createStorageOrm(storageOrmOptions(this.options));
    this.orm = orm;
    // A plain round trip first, so an unreachable server fails with a clear message before migrating.
    await orm.em.getConnection().execute('select 1', [], 'all');
    if (this.options.migrate) await runStorageMigrations(orm, this.schema);
    else await this.assertTablesExist(orm);
    if (this.closed) return;
    this.ready = true;
  }

  private async assertTablesExist(orm: MikroORM): Promise<void> {
    const [row] = await orm.em
      .getConnection()
      .execute<{ found: string | null }[]>('select to_regclass(?) as found', [this.tables.deltas], 'all');
    if (!row?.found)
      throw new StorageError(
        `the storage tables are missing in schema "${this.schema}": run the migrations (option migrate: true, or the MikroORM CLI)`,
      );
  }

  private connection(): PostgreSqlConnection {
    if (this.closed) throw this.closedError();
    if (!this.ready || !this.orm)
      throw new StorageUnavailableError('the postgres storage provider is not initialised: call initialize() first');
    return this.orm.em.getConnection() as PostgreSqlConnection;
  }

  private closedError(): StorageUnavailableError {
    return new StorageUnavailableError('the postgres storage provider is closed');
  }

  private wrap(error: unknown): StorageError {
    return toStorageError(error, this.target, this.secrets);
  }
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

/** Strings that must never appear in a message: the password, given directly or inside the URL. */
function collectSecrets(options: ResolvedStorageOptions): string[] {
  const secrets: string[] = [];
  if (options.password) secrets.push(options.password);
  if (options.clientUrl) {
    try {
      const url = new URL(options.clientUrl);
      if (url.password) secrets.push(url.password, decodeURIComponent(url.password));
    } catch {
      // Malformed URLs never get this far.
    }
  }
  return secrets.filter((secret) => secret.length >= 3);
}
