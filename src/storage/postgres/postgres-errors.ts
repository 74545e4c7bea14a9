import { StorageError, StorageUnavailableError } from '../contract/errors.js';

/** Node socket errors that mean the server cannot be reached. */
const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ECONNABORTED: 'connection aborted',
  EPIPE: 'connection closed',
  ETIMEDOUT: 'connection timed out',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

/** SQLSTATEs that mean "not now" rather than "bad request": the caller may retry later. */
const UNAVAILABLE_SQLSTATES: Record<string, string> = {
  '57P01': 'the server is shutting down',
  '57P02': 'the server crashed',
  '57P03': 'the server is starting up',
  '57014': 'the statement timed out',
  '25P03': 'the transaction stayed idle too long',
  '53300': 'too many connections',
  '3D000': 'the database does not exist',
  '28P01': 'authentication failed',
  '28000': 'authentication failed',
};

/** Node's codes for a TLS certificate it refused: the connection asked for verification and did not get it. */
const CERTIFICATE_CODES =
  /^(ERR_TLS_CERT_ALTNAME_INVALID|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|CERT_UNTRUSTED|CERT_REJECTED)$/;

/** Messages of pg and knex errors that carry no code. */
const UNAVAILABLE_MESSAGES: [RegExp, string][] = [
  // Asked for TLS, the driver never falls back to plaintext.
  [/does not support SSL connections/i, 'the server does not offer TLS'],
  [
    /timeout acquiring a connection|timeout exceeded when trying to connect/i,
    'no pooled connection became free in time',
  ],
  [/connection terminated due to connection timeout|timeout expired/i, 'connection timed out'],
  [/query read timeout/i, 'the query timed out'],
  [/connection terminated|connection ended|not queryable|client was closed/i, 'connection terminated'],
  // The pool was destroyed (the provider closed) while the call waited for a connection.
  [/^aborted$|cannot use a pool after calling end/i, 'the connection pool was closed'],
];

/** Why the database is unavailable, or undefined when `error` is not an availability problem. */
export function unavailabilityReason(error: unknown, depth = 0): string | undefined {
  if (depth > 4 || typeof error !== 'object' || error === null) return undefined;
  const { code, message, name, errors, cause } = error as {
    code?: unknown;
    message?: unknown;
    name?: unknown;
    errors?: unknown;
    cause?: unknown;
  };
  if (typeof code === 'string') {
    if (code in NETWORK_CODES) return NETWORK_CODES[code];
    if (CERTIFICATE_CODES.test(code)) return `the server's TLS certificate was rejected (${code})`;
    if (code in UNAVAILABLE_SQLSTATES) return UNAVAILABLE_SQLSTATES[code];
    if (code.startsWith('08')) return 'connection failure';
  }
  if (name === 'KnexTimeoutError') return 'no pooled connection became free in time';
  if (typeof message === 'string') {
    for (const [pattern, reason] of UNAVAILABLE_MESSAGES) if (pattern.test(message)) return reason;
  }
  // A connect to "localhost" tries every address and fails with an AggregateError.
  if (Array.isArray(errors)) {
    for (const inner of errors) {
      const reason = unavailabilityReason(inner, depth + 1);
      if (reason) return reason;
    }
  }
  return unavailabilityReason(cause, depth + 1);
}

/** `host:port/db` of a server, for messages: never the user, password or URL. */
export function describeTarget(
  host: string | undefined,
  port: number | undefined,
  database: string | undefined,
): string {
  return `${host ?? 'localhost'}:${port ?? 5432}/${database ?? '(default database)'}`;
}

/**
 * Wraps a driver error: availability problems become `StorageUnavailableError`, anything else a
 * `StorageError` naming the SQLSTATE. Messages name only `host:port/db` and fixed texts: a driver's own
 * message may quote the SQL with its values (knex adds it), so it stays in `cause`, for logs that want it.
 */
export function toStorageError(error: unknown, database: string): StorageError {
  if (error instanceof StorageError) return error;
  const reason = unavailabilityReason(error);
  const code = sqlStateWithin(error);
  const sqlstate = code ? ` (SQLSTATE ${code})` : '';
  if (reason)
    return new StorageUnavailableError(`PostgreSQL at ${database} is unavailable: ${reason}${sqlstate}`, {
      cause: error,
    });
  return new StorageError(`PostgreSQL request failed${sqlstate}`, { cause: error });
}

/** The SQLSTATE of `error` or of the error it wraps (MikroORM and knex wrap pg's), if any. */
function sqlStateWithin(error: unknown, depth = 0): string | undefined {
  if (depth > 4 || typeof error !== 'object' || error === null) return undefined;
  return sqlState(error) ?? sqlStateWithin((error as { cause?: unknown }).cause, depth + 1);
}

/** Whether `error` or an error in its `cause` chain (MikroORM's migrator wraps them) has SQLSTATE `code`. */
export function hasSqlState(error: unknown, code: string, depth = 0): boolean {
  if (depth > 4 || typeof error !== 'object' || error === null) return false;
  return sqlState(error) === code || hasSqlState((error as { cause?: unknown }).cause, code, depth + 1);
}

/** The SQLSTATE of a pg error (possibly wrapped by knex), if it has one. */
export function sqlState(error: unknown): string | undefined {
  const { code } = (error ?? {}) as { code?: unknown };
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** SQLSTATE of a unique key a concurrent transaction's committed row already holds. */
export const UNIQUE_VIOLATION = '23505';

/** SQLSTATE of a REPEATABLE READ transaction meeting a row a concurrent one committed after its view. */
export const SERIALIZATION_FAILURE = '40001';
