import { StorageError } from './contract/errors.js';

/** The optional peer dependencies the postgres driver needs: one MikroORM version (6.x or 7.x) for all three. */
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
    `driver 'postgres' needs ${POSTGRES_PEERS.join(', ')} (one version for all three: 6.x from 6.0.2, or 7.x on ` +
      `Node.js 22.17 or later), and ${missing} is not installed: ` +
      `npm install ${POSTGRES_PEERS.map((name) => `${name}@${newestMajorHere()}`).join(' ')}`,
    { cause: error },
  );
}

/** MikroORM 7 needs Node.js 22.17 or later; on an older Node.js, 6 is the one that runs. */
function newestMajorHere(): 6 | 7 {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 17) ? 7 : 6;
}
