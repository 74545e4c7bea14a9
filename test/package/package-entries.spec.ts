import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const script = join(repo, 'scripts/package-entries.mjs');

let folder: string;

/** A package folder holding the entries script, a package.json without exports, and `files` (empty) under src/. */
function packageWith(files: string[]): string {
  folder = mkdtempSync(join(tmpdir(), 'nss-entries-'));
  mkdirSync(join(folder, 'scripts'));
  copyFileSync(script, join(folder, 'scripts/package-entries.mjs'));
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: 'probe', type: 'module' }));
  for (const file of files) {
    mkdirSync(dirname(join(folder, 'src', file)), { recursive: true });
    writeFileSync(join(folder, 'src', file), 'export {};\n');
  }
  return folder;
}

const entriesScript = (cwd: string, ...args: string[]) =>
  run(process.execPath, ['scripts/package-entries.mjs', ...args], { cwd });

afterEach(() => {
  if (folder) rmSync(folder, { recursive: true, force: true });
});

describe('the exports map follows the entries in src/', () => {
  it('gives src/index.ts, a top-level file and a folder with an index an entry each, and src/storage none', async () => {
    const cwd = packageWith([
      'index.ts',
      'postgres.ts',
      'yjs/index.ts',
      'automerge/index.ts',
      'integrations/shared.ts',
      'storage/index.ts',
      'storage/storage.module.ts',
    ]);
    await entriesScript(cwd, '--write');
    const written = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8'));
    expect(Object.keys(written.exports)).toEqual(['.', './automerge', './postgres', './yjs', './package.json']);
    expect(written.exports['./yjs']).toEqual({
      import: { types: './dist/esm/yjs/index.d.ts', default: './dist/esm/yjs/index.js' },
      require: { types: './dist/cjs/yjs/index.d.ts', default: './dist/cjs/yjs/index.js' },
    });
    expect(written.typesVersions['*'].postgres).toEqual(['./dist/cjs/postgres.d.ts']);
    await expect(entriesScript(cwd)).resolves.toBeDefined();
  });

  it('fails the check, saying how to fix it, when an entry appears that package.json does not export', async () => {
    const cwd = packageWith(['index.ts', 'postgres.ts']);
    await entriesScript(cwd, '--write');
    writeFileSync(join(cwd, 'src/yjs.ts'), 'export {};\n');
    await expect(entriesScript(cwd)).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('npm run entries'),
    });
  });

  it("holds for this repository's package.json", async () => {
    await expect(entriesScript(repo)).resolves.toBeDefined();
  });
});
