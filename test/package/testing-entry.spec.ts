import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
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

describe('the kit under Vitest', () => {
  it('fails the cases a store breaks, and passes the others', async () => {
    // Vitest with the repository's config (the aliases to the build), on the fixture only.
    const folder = join(PACKAGE_ROOT, '.tmp/vitest-broken-store');
    mkdirSync(folder, { recursive: true });
    writeFileSync(
      join(folder, 'vitest.config.mjs'),
      `import base from '../../vitest.config.mjs';
       export default { ...base, test: { ...base.test, include: ['test/fixtures/vitest/broken-catch-up.check.ts'] } };`,
    );
    const results = join(folder, 'results.json');
    const vitest = join(PACKAGE_ROOT, 'node_modules/vitest/vitest.mjs');
    const args = [
      vitest,
      'run',
      '--config',
      join(folder, 'vitest.config.mjs'),
      '--reporter=json',
      `--outputFile=${results}`,
    ];
    await expect(run(process.execPath, args, { cwd: PACKAGE_ROOT, maxBuffer: 1 << 24 })).rejects.toMatchObject({
      code: 1,
    });
    const report = JSON.parse(readFileSync(results, 'utf8')) as {
      numPassedTests: number;
      testResults: Array<{ assertionResults: Array<{ title: string; status: string }> }>;
    };
    const failed = report.testResults.flatMap((file) =>
      file.assertionResults.filter((test) => test.status === 'failed').map((test) => test.title),
    );
    expect(failed).toContain(
      'getDeltasSince(since { a: 2, b: 2, c: 0 }) returns the deltas since does not cover, in the order added',
    );
    expect(failed).toContain('iterateDeltasSince with batchSize 2 yields what getDeltasSince returns, for every since');
    // Cases that never read deltas still pass.
    expect(failed.filter((title) => /awareness|health|driver|document id/i.test(title))).toEqual([]);
    expect(report.numPassedTests).toBeGreaterThan(250);
  });
});
