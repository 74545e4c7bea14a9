import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import type { Config } from '@jest/types';
import type * as ServerModule from './postgres-server.js';

// Jest loads global hooks as CommonJS without `moduleNameMapper`, so a `.js` specifier of a .ts file
// does not resolve here; require the .ts file itself (jest's transform hook compiles it).
const { SHARED_SERVER_GLOBAL, SHARED_SERVER_VARIABLE, startPostgresServer } =
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('./postgres-server.ts') as typeof ServerModule;

/** What a spec file gets from the run by importing one of these support modules (directly or not). */
const HARNESSES = {
  /** Databases on one embedded server shared by the run. */
  postgres: 'test/support/postgres.ts',
  /** Processes that run the built package and sample app. */
  build: 'test/support/built-package.ts',
};
type Harness = keyof typeof HARNESSES;

/**
 * Prepares what the selected spec files use, and nothing else: builds the package (ESM and CommonJS) and
 * the sample app with tsc (incremental: a fraction of a second when nothing changed) and starts ONE embedded
 * PostgreSQL, unless `TEST_DATABASE_URL` is set. Workers inherit the server's URL through the
 * environment and give each test file its own database.
 */
export default async function prepareTestRun(globalConfig: Config.GlobalConfig): Promise<void> {
  const used = harnessesUsed(globalConfig);
  if (used.has('build')) buildPackageAndSample(globalConfig.rootDir);
  if (!used.has('postgres') || process.env.TEST_DATABASE_URL || process.env[SHARED_SERVER_VARIABLE]) return;
  const server = await startPostgresServer();
  process.env[SHARED_SERVER_VARIABLE] = server.url();
  (globalThis as Record<symbol, unknown>)[SHARED_SERVER_GLOBAL] = server;
}

/** `npm run build` and `npm run build:sample` without their clean step, so an unchanged tree is not compiled again. */
function buildPackageAndSample(rootDir: string): void {
  try {
    execFileSync(process.execPath, [join(rootDir, 'scripts', 'build.mjs'), 'sample/sync-app/tsconfig.json'], {
      cwd: rootDir,
      encoding: 'utf8',
      stdio: 'pipe',
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`the build the tests run failed:\n${stdout ?? ''}${stderr ?? ''}`, { cause: error });
  }
}

/** The harnesses the spec files jest will run import, directly or through their imports (when unsure, all). */
function harnessesUsed(globalConfig: Config.GlobalConfig): Set<Harness> {
  const all = Object.keys(HARNESSES) as Harness[];
  if (globalConfig.onlyChanged || globalConfig.findRelatedTests || globalConfig.watch || globalConfig.watchAll)
    return new Set(all);
  const patterns = globalConfig.testPathPatterns;
  const matcher = patterns.isSet() ? patterns.toExecutor({ rootDir: globalConfig.rootDir }) : undefined;
  const specs = specFiles(join(globalConfig.rootDir, 'test')).filter((file) => !matcher || matcher.isMatch(file));
  const uses = (harness: Harness): boolean => {
    const module = join(globalConfig.rootDir, HARNESSES[harness]);
    return specs.some((file) => imports(file, module, new Set()));
  };
  return new Set(all.filter(uses));
}

const RELATIVE_IMPORT = /from\s+['"](\.{1,2}\/[^'"]+)\.js['"]/g;

/** Follows a file's relative imports (test code only) looking for `harness`. */
function imports(file: string, harness: string, seen: Set<string>): boolean {
  if (seen.has(file) || !file.includes(`${sep}test${sep}`)) return false;
  seen.add(file);
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return false;
  }
  for (const [, specifier] of source.matchAll(RELATIVE_IMPORT)) {
    const imported = join(dirname(file), `${specifier}.ts`);
    if (imported === harness || imports(imported, harness, seen)) return true;
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
