import { readFile } from 'node:fs/promises';
import pg from 'pg';
import type { ConnectionOptions } from 'node:tls';
import { StorageError } from '../contract/errors.js';
import type { ResolvedStorageOptions } from '../contract/options.js';
import type { SslMode } from '../contract/postgres-options.js';

/** Where and how the pool connects, in pg's words: the module's options, `clientUrl` taken apart by the driver itself. */
export interface ConnectionSettings {
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  /** pg's `ssl`: false for plaintext, TLS options otherwise. */
  ssl: false | ConnectionOptions;
  /** The URL's sslmode, when it has one. */
  sslMode?: SslMode;
  /** The certificate files the URL names (sslrootcert, sslcert, sslkey). */
  files?: { ca: string | null; cert: string | null; key: string | null };
}

/**
 * The connection without any I/O: `clientUrl` split into its parts (MikroORM would drop its query string),
 * TLS from `options.ssl`, or from the URL's sslmode as libpq reads it. `prefer` is settled by `settleTls`.
 */
export function connectionSettings(options: ResolvedStorageOptions): ConnectionSettings {
  const settings: ConnectionSettings = {
    host: options.host,
    port: options.port,
    user: options.user,
    password: options.password,
    database: options.dbName,
    ssl: options.ssl === undefined || options.ssl === false ? false : options.ssl === true ? {} : { ...options.ssl },
  };
  if (options.clientUrl === undefined) return settings;
  const url = new URL(options.clientUrl);
  const decode = (part: string): string | undefined => (part === '' ? undefined : decodeURIComponent(part));
  settings.host ??= decode(url.hostname);
  settings.port ??= url.port === '' ? undefined : Number(url.port);
  settings.user ??= decode(url.username);
  settings.password ??= decode(url.password);
  settings.database ??= decode(url.pathname.replace(/^\//, ''));
  const params = url.searchParams;
  const mode = params.get('sslmode') as SslMode | null;
  if (mode !== null) {
    settings.sslMode = mode;
    settings.ssl = tlsForMode(mode, params.has('sslrootcert'));
  }
  settings.files = { ca: params.get('sslrootcert'), cert: params.get('sslcert'), key: params.get('sslkey') };
  return settings;
}

/** libpq's sslmode as TLS options; `prefer` starts as TLS without verification and may be settled to plaintext. */
function tlsForMode(mode: SslMode, rootCertificate: boolean): false | ConnectionOptions {
  switch (mode) {
    case 'disable':
      return false;
    case 'prefer':
      return { rejectUnauthorized: false };
    case 'require':
      // As in libpq: with a root certificate, require checks the chain (verify-ca).
      return rootCertificate ? verifyChainOnly() : { rejectUnauthorized: false };
    case 'verify-ca':
      return verifyChainOnly();
    case 'verify-full':
      return { rejectUnauthorized: true };
  }
}

/** The chain is checked, the host name is not (libpq's verify-ca). */
const verifyChainOnly = (): ConnectionOptions => ({ rejectUnauthorized: true, checkServerIdentity: () => undefined });

/**
 * The I/O part, at start-up: reads the certificate files the URL names, and settles `sslmode=prefer` by
 * trying TLS once (a server without TLS answers so, and the pool then connects in plaintext). Every other
 * mode that asks for TLS never falls back.
 */
export async function settleTls(
  options: ResolvedStorageOptions,
  connectTimeoutMs: number,
): Promise<ConnectionSettings> {
  const { files, ...settings } = connectionSettings(options);
  if (settings.ssl !== false)
    for (const [key, path] of Object.entries(files ?? {}))
      if (path !== null) settings.ssl = { ...settings.ssl, [key]: await readCertificate(path, key) };
  if (settings.sslMode === 'prefer' && !(await serverTakesTls(settings, connectTimeoutMs))) settings.ssl = false;
  return settings;
}

async function readCertificate(path: string, key: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new StorageError(
      `options.clientUrl names an ssl${key === 'ca' ? 'rootcert' : key} file that cannot be read`,
      {
        cause: error,
      },
    );
  }
}

/** False only when the server says it has no TLS; any other failure is left to the pool to report. */
async function serverTakesTls(settings: ConnectionSettings, connectTimeoutMs: number): Promise<boolean> {
  const { sslMode: _, ...connection } = settings;
  const client = new pg.Client({
    ...connection,
    ssl: settings.ssl === false ? { rejectUnauthorized: false } : settings.ssl,
    connectionTimeoutMillis: connectTimeoutMs,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return true;
  } catch (error) {
    return !/does not support SSL/i.test((error as Error).message ?? '');
  } finally {
    await client.end().catch(() => undefined);
  }
}
