import { execFile } from 'node:child_process';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { PACKAGE_ROOT, fixtureScript } from '../support/built-package.js';

const run = promisify(execFile);

/**
 * Packages only the postgres driver, a host's /health or its metrics may load: MikroORM, its knex and umzug, pg,
 * Terminus, OpenTelemetry.
 */
const DRIVER_PACKAGES =
  /node_modules\/(@mikro-orm\/|knex\/|umzug\/|pg\/|pg-[a-z-]+\/|pgpass\/|@nestjs\/terminus\/|@opentelemetry\/)/;

/** Every file a fresh Node process loads to run `code` (CommonJS, or ESM with `esm`) in the repository. */
async function filesLoadedBy(code: string, esm = false): Promise<string[]> {
  const args = ['--import', fixtureScript('list-loaded-modules.mjs'), ...(esm ? ['--input-type=module'] : []), '-e'];
  const { stdout } = await run(process.execPath, [...args, code], { cwd: PACKAGE_ROOT, maxBuffer: 1 << 24 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as string[];
}

/** The package's own files among `files`, relative to its folder. */
const packageFiles = (files: string[]): string[] =>
  files.filter((file) => file.startsWith(join(PACKAGE_ROOT, 'dist'))).map((file) => relative(PACKAGE_ROOT, file));

describe('the root entry loads no MikroORM, knex, pg or Terminus code', () => {
  it.each([
    ['require', "require('nest-sync-storage')", false, 'dist/cjs/'],
    ['import', "await import('nest-sync-storage')", true, 'dist/esm/'],
  ])('through %s it loads one build and none of the driver packages', async (_how, code, esm, build) => {
    const files = await filesLoadedBy(code, esm);
    expect(files.filter((file) => DRIVER_PACKAGES.test(file))).toEqual([]);
    expect(packageFiles(files).length).toBeGreaterThan(10);
    expect(packageFiles(files).filter((file) => !file.startsWith(build))).toEqual([]);
  });

  it.each([
    ['require', "require('nest-sync-storage/postgres')", false],
    ['import', "await import('nest-sync-storage/postgres')", true],
  ])('nest-sync-storage/postgres through %s does load MikroORM', async (_how, code, esm) => {
    const files = await filesLoadedBy(code, esm);
    expect(files.some((file) => file.includes('node_modules/@mikro-orm/core/'))).toBe(true);
  });
});

describe('the two builds in one process', () => {
  it('share the injection tokens, but not the classes, as the README says', async () => {
    const code = `
      import { createRequire } from 'node:module';
      const cjs = createRequire(process.cwd() + '/')('nest-sync-storage');
      const esm = await import('nest-sync-storage');
      const tokens = ['STORAGE_PROVIDER', 'DOCUMENT_STORE', 'AWARENESS_STORE', 'STORAGE_CHANGES', 'STORAGE_MODULE_OPTIONS'];
      console.log(JSON.stringify({
        tokensApart: tokens.filter((name) => cjs[name] !== esm[name] || typeof esm[name] !== 'symbol'),
        sameModule: cjs.StorageModule === esm.StorageModule,
        errorAcross: new cjs.StorageError('x') instanceof esm.StorageError,
      }));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], { cwd: PACKAGE_ROOT });
    expect(JSON.parse(stdout)).toEqual({ tokensApart: [], sameModule: false, errorAcross: false });
  });
});
