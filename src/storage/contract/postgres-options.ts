import { StorageValidationError } from './errors.js';
import type { ResolvedStorageOptions } from './options.types.js';
import { isPlainObject } from './validation.js';

/** libpq's sslmode values the driver honours; `allow` (plaintext first) is not one of them. */
export const SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** The `clientUrl` query parameters the driver honours, with libpq's meaning. Any other fails start-up. */
export const URL_PARAMETERS = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey'] as const;

/**
 * `mikroOrm` keys that decide where data goes or what the ORM is: set through the module's own options
 * (or not at all), never merged in behind them.
 */
const RESERVED_ORM_OPTIONS: Record<string, string> = {
  driver: 'it is always PostgreSqlDriver',
  clientUrl: 'use options.clientUrl',
  host: 'use options.host',
  port: 'use options.port',
  user: 'use options.user',
  password: 'use options.password',
  dbName: 'use options.dbName',
  schema: 'use options.schema',
  entities: 'the driver registers its own entities',
  entitiesTs: 'the driver registers its own entities',
  discovery: 'the driver registers its own entities',
  migrations: 'the driver runs its own migrations',
  extensions: 'the driver registers the migrator itself',
  ensureDatabase: 'the driver never creates a database',
};
const RESERVED_CONNECTION_OPTIONS = ['host', 'port', 'user', 'password', 'database', 'connectionString', 'ssl'];

/** What says where to connect: with `orm`, the app's ORM already knows, so none of it may come along (`pool` may: it sizes the driver's own pool). */
export const CONNECTION_OPTIONS = ['clientUrl', 'host', 'port', 'user', 'password', 'dbName', 'ssl'] as const;

/** Checks the postgres options, naming the option at fault; values are never echoed (they may be secrets). */
export function checkPostgresOptions(options: ResolvedStorageOptions): void {
  for (const key of ['clientUrl', 'listenUrl', 'host', 'user', 'password', 'dbName', 'schema'] as const) {
    const value = options[key];
    if (value !== undefined && (typeof value !== 'string' || value.length === 0))
      throw new StorageValidationError(`options.${key}`, 'must be a non-empty string');
  }
  if (options.schema !== undefined) checkSchemaName(options.schema, 'options.schema');
  if (options.listenUrl !== undefined) checkClientUrl(options.listenUrl, 'options.listenUrl', false);
  if (options.pool !== undefined) checkPool(options.pool);
  if (options.orm !== undefined) return checkHostOrm(options);
  if (options.clientUrl !== undefined)
    checkClientUrl(options.clientUrl, 'options.clientUrl', options.ssl !== undefined);
  else if (options.host === undefined && options.dbName === undefined)
    throw new StorageValidationError(
      'options.clientUrl',
      `(or host and dbName, or orm) is required for driver 'postgres'`,
    );
  if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535))
    throw new StorageValidationError('options.port', 'must be an integer from 1 to 65535');
  if (options.ssl !== undefined) checkTls(options.ssl);
  if (options.mikroOrm !== undefined) checkMikroOrm(options.mikroOrm);
}

/** A schema name the driver can quote without surprises, and that fits PostgreSQL's 63 bytes. */
export function checkSchemaName(schema: string, argument: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/.test(schema))
    throw new StorageValidationError(argument, 'must be a plain SQL identifier (letters, digits, _)');
}

/** `orm` alone says where data goes; the instance itself is checked when the driver loads (it needs MikroORM). */
function checkHostOrm(options: ResolvedStorageOptions): void {
  const orm = options.orm as unknown;
  if (typeof orm !== 'object' || orm === null || typeof (orm as { em?: unknown }).em !== 'object')
    throw new StorageValidationError('options.orm', 'must be a MikroORM instance');
  for (const key of CONNECTION_OPTIONS)
    if (options[key] !== undefined)
      throw new StorageValidationError(
        `options.${key}`,
        "cannot be combined with options.orm: the app's ORM owns the connection",
      );
  if (options.mikroOrm !== undefined)
    throw new StorageValidationError(
      'options.mikroOrm',
      "cannot be combined with options.orm: configure the app's ORM itself",
    );
}

/** A connection URL: its scheme, and only the query parameters the driver honours. */
function checkClientUrl(clientUrl: string, argument: string, sslGiven: boolean): void {
  let url: URL | undefined;
  try {
    url = new URL(clientUrl);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:'))
    throw new StorageValidationError(argument, 'must be a postgres:// or postgresql:// URL');
  for (const name of url.searchParams.keys()) {
    if (!(URL_PARAMETERS as readonly string[]).includes(name))
      throw new StorageValidationError(
        argument,
        `has the query parameter "${name}", which the driver does not honour (it honours ${URL_PARAMETERS.join(', ')})`,
      );
  }
  const mode = url.searchParams.get('sslmode');
  if (mode !== null && !(SSL_MODES as readonly string[]).includes(mode))
    throw new StorageValidationError(
      argument,
      `has an sslmode the driver does not honour (use ${SSL_MODES.join(', ')})`,
    );
  if (mode !== null && sslGiven)
    throw new StorageValidationError(
      'options.ssl',
      'and an sslmode in options.clientUrl both set TLS: give one of them',
    );
}

function checkPool(pool: unknown): void {
  if (!isPlainObject(pool)) throw new StorageValidationError('options.pool', 'must be an object { min, max }');
  const { min, max } = pool as { min?: unknown; max?: unknown };
  if (min !== undefined && (typeof min !== 'number' || !Number.isInteger(min) || min < 0))
    throw new StorageValidationError('options.pool.min', 'must be an integer >= 0');
  if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 1))
    throw new StorageValidationError('options.pool.max', 'must be an integer >= 1');
  if (typeof min === 'number' && typeof max === 'number' && min > max)
    throw new StorageValidationError('options.pool.min', 'must not exceed options.pool.max');
}

function checkTls(ssl: unknown): void {
  if (typeof ssl === 'boolean') return;
  if (!isPlainObject(ssl))
    throw new StorageValidationError(
      'options.ssl',
      'must be true, false or { rejectUnauthorized, ca, cert, key, servername }',
    );
  for (const [key, value] of Object.entries(ssl)) {
    const fits =
      key === 'rejectUnauthorized'
        ? typeof value === 'boolean'
        : key === 'servername'
          ? typeof value === 'string'
          : ['ca', 'cert', 'key'].includes(key) && isPem(value, key === 'ca');
    if (!fits)
      throw new StorageValidationError(
        `options.ssl.${key}`,
        'is not a TLS setting the driver takes, or not of its type',
      );
  }
}

const isPem = (value: unknown, list: boolean): boolean =>
  typeof value === 'string' ||
  Buffer.isBuffer(value) ||
  (list && Array.isArray(value) && value.every((item) => typeof item === 'string' || Buffer.isBuffer(item)));

function checkMikroOrm(mikroOrm: unknown): void {
  if (!isPlainObject(mikroOrm))
    throw new StorageValidationError('options.mikroOrm', 'must be an object of MikroORM options');
  for (const key of Object.keys(mikroOrm)) {
    if (key in RESERVED_ORM_OPTIONS)
      throw new StorageValidationError(`options.mikroOrm.${key}`, `cannot be set here: ${RESERVED_ORM_OPTIONS[key]}`);
  }
  const connection = (mikroOrm.driverOptions as { connection?: unknown } | undefined)?.connection;
  if (isPlainObject(connection)) {
    for (const key of RESERVED_CONNECTION_OPTIONS)
      if (key in connection)
        throw new StorageValidationError(
          `options.mikroOrm.driverOptions.connection.${key}`,
          'cannot be set here: use the module options (clientUrl, host, ..., ssl)',
        );
  }
}
