import { connect as connectSocket } from 'node:net';
import pg from 'pg';

/** How long the server may work on one statement, and a transaction may sit idle (ms); 0 means unbounded. */
export interface StatementTimeouts {
  statementTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
}

/** Everything the driver's pool needs: where to connect (pg's settings, no session parameters), bounds, timeouts. */
export interface StoragePoolSettings {
  connection: pg.ClientConfig;
  min: number;
  max: number;
  /** How long a call may wait for a connection of the pool. */
  acquireTimeoutMs: number;
  /** How long opening one connection may take. */
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  timeouts: StatementTimeouts;
  /** Client-side bound on any round trip, above the statement timeout: it also ends waits on a hung server. */
  queryTimeoutMs: number;
}

export interface TransactionOptions {
  /** A consistent view across several reads. */
  repeatableRead?: boolean;
  readOnly?: boolean;
}

/** Runs one statement with its values as bound parameters (`$n` placeholders). */
export type RunStatement = <Row>(text: string, values: readonly unknown[]) => Promise<Row[]>;

/** The code of a PostgreSQL CancelRequest packet. */
const CANCEL_REQUEST_CODE = 80877102;

/**
 * The driver's `pg.Pool`, safe behind a transaction pooler (PgBouncer `pool_mode = transaction`): no
 * session state at all. Timeouts never go as startup parameters (a pooler refuses them) nor as session
 * `SET`s (they would stay on a shared server connection): a transaction sets them with `SET LOCAL` in the
 * round trip of its `BEGIN`, and a statement outside a transaction is bounded by a client-side timer that
 * sends PostgreSQL's cancel request (which poolers forward), so the server stops working on it too.
 */
export class StoragePool {
  private readonly pool: pg.Pool;
  private readonly begin: Map<string, string> = new Map();

  constructor(private readonly settings: StoragePoolSettings) {
    const { connectTimeoutMs } = settings;
    // pg-pool gives its connectionTimeoutMillis to each new client too; a client's own connect bound is shorter.
    class StorageClient extends pg.Client {
      constructor(config: pg.ClientConfig) {
        // pg-pool keeps the password as a hidden (non-enumerable) property, which a spread would drop.
        super({ ...config, password: config.password, connectionTimeoutMillis: connectTimeoutMs });
      }
    }
    this.pool = new pg.Pool({
      ...settings.connection,
      Client: StorageClient as unknown as new () => pg.ClientBase,
      min: settings.min,
      max: settings.max,
      idleTimeoutMillis: settings.idleTimeoutMs,
      connectionTimeoutMillis: settings.acquireTimeoutMs,
      query_timeout: settings.queryTimeoutMs,
    });
    // A connection the server dropped: the pool discards it, and the call that held it (if any) fails on its
    // own. pg reports the drop as an 'error' event too, which would end the process with nobody listening:
    // pg-pool listens on idle connections only.
    this.pool.on('error', () => undefined);
    this.pool.on('connect', (client) => client.on('error', () => undefined));
  }

  /**
   * One statement on a pooled connection, outside any transaction. `acquired` is called once a connection is
   * held. Past the statement timeout, the statement is cancelled on the server and rejects with SQLSTATE 57014.
   */
  async query<Row>(text: string, values: readonly unknown[], acquired?: () => void): Promise<Row[]> {
    const client = await this.pool.connect();
    acquired?.();
    let broken: Error | undefined;
    const { statementTimeoutMs } = this.settings.timeouts;
    const timer =
      statementTimeoutMs > 0
        ? setTimeout(() => {
            // The cancel request travels apart and may land after the statement ended: the connection
            // then goes, so that it never cancels the next caller's statement.
            broken = new Error('statement cancelled');
            cancel(client);
          }, statementTimeoutMs)
        : undefined;
    try {
      return (await client.query({ text, values: values as unknown[] })).rows as Row[];
    } catch (error) {
      broken ??= brokenConnection(error);
      throw error;
    } finally {
      clearTimeout(timer);
      client.release(broken);
    }
  }

  /** Runs `work` in one transaction, its timeouts set with `SET LOCAL`; commits, or rolls back when `work` throws. */
  async transaction<T>(
    work: (run: RunStatement) => Promise<T>,
    options: TransactionOptions = {},
    acquired?: () => void,
  ): Promise<T> {
    const client = await this.pool.connect();
    acquired?.();
    let broken: Error | undefined;
    try {
      await client.query(this.beginSql(options));
      const result = await work(async <Row>(text: string, values: readonly unknown[]) => {
        return (await client.query({ text, values: values as unknown[] })).rows as Row[];
      });
      await client.query('commit');
      return result;
    } catch (error) {
      broken = brokenConnection(error);
      if (!broken) await client.query('rollback').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /** Ends every connection of the pool; calls waiting for one reject. */
  async end(): Promise<void> {
    await this.pool.end();
  }

  /** `BEGIN` with its options and the transaction's timeouts: one simple-protocol round trip. */
  private beginSql(options: TransactionOptions): string {
    const key = `${options.repeatableRead ? 'r' : 'c'}${options.readOnly ? 'o' : 'w'}`;
    let sql = this.begin.get(key);
    if (sql === undefined) {
      const { statementTimeoutMs, idleInTransactionTimeoutMs } = this.settings.timeouts;
      sql = [
        `begin isolation level ${options.repeatableRead ? 'repeatable read' : 'read committed'}${options.readOnly ? ' read only' : ''}`,
        ...transactionTimeoutsSql({ statementTimeoutMs, idleInTransactionTimeoutMs }),
      ].join('; ');
      this.begin.set(key, sql);
    }
    return sql;
  }
}

/** `SET LOCAL` statements of the timeouts: they end with the transaction, so a pooled server connection keeps none. */
export function transactionTimeoutsSql(timeouts: StatementTimeouts): string[] {
  return [
    `set local statement_timeout = ${Math.trunc(timeouts.statementTimeoutMs)}`,
    `set local idle_in_transaction_session_timeout = ${Math.trunc(timeouts.idleInTransactionTimeoutMs)}`,
  ];
}

/** An error after which the connection must not go back to the pool (anything but an error the server answered). */
function brokenConnection(error: unknown): Error | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  const answeredByServer = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('08');
  return answeredByServer ? undefined : error instanceof Error ? error : new Error('connection failed');
}

/**
 * Sends PostgreSQL's CancelRequest for the statement `client` is running, on a connection of its own (the
 * protocol's way; a pooler forwards it to the server connection that runs the statement). pg has no public
 * API for it; the packet is 16 bytes, and the backend key is what the server (or pooler) gave at connect.
 */
function cancel(client: pg.PoolClient): void {
  const { processID, secretKey, host, port } = client as unknown as {
    processID?: number;
    secretKey?: number;
    host: string;
    port: number;
  };
  if (processID === undefined || secretKey === undefined) return;
  const socket = host.startsWith('/')
    ? connectSocket({ path: `${host}/.s.PGSQL.${port}` })
    : connectSocket({ host, port });
  socket.on('error', () => undefined);
  socket.setTimeout(5_000, () => socket.destroy());
  socket.on('connect', () => {
    const packet = Buffer.alloc(16);
    packet.writeInt32BE(16, 0);
    packet.writeInt32BE(CANCEL_REQUEST_CODE, 4);
    packet.writeInt32BE(processID, 8);
    packet.writeInt32BE(secretKey, 12);
    socket.end(packet);
  });
}
