import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import type { Config } from '@jest/types';
import type * as ServerModule from './postgres-server.js';

// Jest loads global hooks as CommonJS without `moduleNameMapper`, so a `.js` specifier of a .ts file
// does not resolve here; require the .ts file itself (jest's transform hook compiles it).
const { SHARED_SERVER_GLOBAL, SHARED_SERVER_VARIABLE, startEmbeddedServer } =
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('./postgres-server.ts') as typeof ServerModule;

/**
 * Starts ONE embedded PostgreSQL for the whole jest run, when a selected test file uses the
 * postgres harness and `TEST_DATABASE_URL` is not set; workers inherit its URL through the
 * environment and give each test file its own database. Runs without postgres tests start nothing.
 */
export default async function startSharedPostgres(globalConfig: Config.GlobalConfig): Promise<void> {
  if (process.env.TEST_DATABASE_URL || process.env[SHARED_SERVER_VARIABLE]) return;
  if (!runUsesPostgres(globalConfig)) return;
  const server = await startEmbeddedServer();
  process.env[SHARED_SERVER_VARIABLE] = server.url();
  (globalThis as Record<symbol, unknown>)[SHARED_SERVER_GLOBAL] = server;
}

/** True when a spec file jest will run uses the postgres harness, directly or through its imports (when unsure, true). */
function runUsesPostgres(globalConfig: Config.GlobalConfig): boolean {
  if (globalConfig.onlyChanged || globalConfig.findRelatedTests || globalConfig.watch || globalConfig.watchAll)
    return true;
  const patterns = globalConfig.testPathPatterns;
  const matcher = patterns.isSet() ? patterns.toExecutor({ rootDir: globalConfig.rootDir }) : undefined;
  const seen = new Set<string>();
  return specFiles(join(globalConfig.rootDir, 'test')).some(
    (file) => (!matcher || matcher.isMatch(file)) && importsHarness(file, seen),
  );
}

const HARNESS_IMPORT = /from\s+['"][./]*\/?support\/postgres\.js['"]/;
const RELATIVE_IMPORT = /from\s+['"](\.{1,2}\/[^'"]+)\.js['"]/g;

/** Follows a file's relative imports (test code only) looking for the harness. */
function importsHarness(file: string, seen: Set<string>): boolean {
  if (seen.has(file) || !file.includes(`${sep}test${sep}`)) return false;
  seen.add(file);
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return false;
  }
  if (HARNESS_IMPORT.test(source)) return true;
  for (const [, specifier] of source.matchAll(RELATIVE_IMPORT)) {
    if (importsHarness(join(dirname(file), `${specifier}.ts`), seen)) return true;
  }
  return false;
}

function specFiles(folder: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules') files.push(...specFiles(path));
    else if (entry.isFile() && entry.name.endsWith('.spec.ts')) files.push(path);
  }
  return files;
}
