import { StorageError } from './contract/errors.js';

/** The optional peer dependencies the postgres driver needs: one MikroORM 6 version for all three. */
export const POSTGRES_PEERS = ['@mikro-orm/core', '@mikro-orm/postgresql', '@mikro-orm/migrations'] as const;

/**
 * Imports a module of the postgres driver (which loads MikroORM). When an optional peer is not installed,
 * the error names the packages to install instead of Node's bare "cannot find module"; that stays as `cause`.
 */
export async function loadPostgresDriver<Module>(load: () => Promise<Module>): Promise<Module> {
  try {
    return await load();
  } catch (error) {
    throw missingPeerError(error) ?? error;
  }
}

function missingPeerError(error: unknown): StorageError | undefined {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') return undefined;
  // CommonJS: "Cannot find module '@mikro-orm/core'"; ESM: "Cannot find package '@mikro-orm/core' imported from ...".
  const missing = /'(@mikro-orm\/[a-z-]+)'/.exec(String(message))?.[1];
  if (missing === undefined) return undefined;
  return new StorageError(
    `driver 'postgres' needs ${POSTGRES_PEERS.join(', ')} (one 6.x version, 6.0.2 or later, for all three), ` +
      `and ${missing} is not installed: npm install ${POSTGRES_PEERS.map((name) => `${name}@6`).join(' ')}`,
    { cause: error },
  );
}
