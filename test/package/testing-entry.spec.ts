import { execFile } from 'node:child_process';
import { relative } from 'node:path';
import { promisify } from 'node:util';
import { PACKAGE_ROOT, fixtureScript } from '../support/built-package.js';

const run = promisify(execFile);

/** Test runners and their assertion libraries: the kit takes the caller's, it never loads one. */
const RUNNER_PACKAGES = /node_modules\/(jest[a-z-]*\/|@jest\/|vitest\/|@vitest\/|chai\/|expect\/)/;

/** Every file a fresh Node process loads to run `code` (CommonJS, or ESM with `esm`) in the repository. */
async function filesLoadedBy(code: string, esm = false): Promise<string[]> {
  const args = ['--import', fixtureScript('list-loaded-modules.mjs'), ...(esm ? ['--input-type=module'] : []), '-e'];
  const { stdout } = await run(process.execPath, [...args, code], { cwd: PACKAGE_ROOT, maxBuffer: 1 << 24 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as string[];
}

const testingFiles = (files: string[]): string[] =>
  files.map((file) => relative(PACKAGE_ROOT, file)).filter((file) => /^dist\/(esm|cjs)\/testing\//.test(file));

describe('nest-sync-storage/testing', () => {
  it.each([
    ['require', "require('nest-sync-storage')", false],
    ['import', "await import('nest-sync-storage')", true],
  ])('is not loaded by the root entry through %s', async (_how, code, esm) => {
    expect(testingFiles(await filesLoadedBy(code, esm))).toEqual([]);
  });

  it.each([
    ['require', "require('nest-sync-storage/testing')", false, 'dist/cjs/testing/index.js'],
    ['import', "await import('nest-sync-storage/testing')", true, 'dist/esm/testing/index.js'],
  ])('through %s loads its build and no test runner', async (_how, code, esm, entry) => {
    const files = await filesLoadedBy(code, esm);
    expect(testingFiles(files)).toContain(entry);
    expect(files.filter((file) => RUNNER_PACKAGES.test(file))).toEqual([]);
  });

  it('outside a test runner, without the runner passed in, refuses with a TypeError naming what it lacks', async () => {
    const code = `
      const { runStorageConformance } = await import('nest-sync-storage/testing');
      const attempt = (runner) => {
        try {
          runStorageConformance('store', async () => { throw new Error('never called'); }, runner);
          return 'registered';
        } catch (error) {
          return error.name + ': ' + error.message;
        }
      };
      console.log(JSON.stringify([attempt(undefined), attempt({ describe() {}, it() {} })]));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], { cwd: PACKAGE_ROOT });
    const [withoutRunner, partialRunner] = JSON.parse(stdout) as string[];
    expect(withoutRunner).toMatch(/^TypeError: no test runner globals \(describe, it, expect, beforeEach, afterEach/);
    expect(withoutRunner).toContain("from 'vitest'");
    expect(partialRunner).toMatch(/^TypeError: runner lacks expect, beforeEach, afterEach, afterAll/);
  });
});
