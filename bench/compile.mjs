// Transpiles bench/**/*.ts into .tmp/bench/ with swc, in about a second, and the tests' PostgreSQL
// helper the bench starts its server with into .tmp/test/support/. Types are not checked here:
// `npm run typecheck` covers bench/ along with src/ and test/.
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformFile } from '@swc/core';

const benchFolder = dirname(fileURLToPath(import.meta.url));
const outFolder = join(benchFolder, '..', '.tmp', 'bench');
const sharedHelper = join(benchFolder, '..', 'test', 'support', 'postgres-server.ts');

const options = {
  jsc: {
    parser: { syntax: 'typescript' },
    target: 'es2022',
  },
  module: { type: 'es6' },
  sourceMaps: 'inline',
};

async function transpile(source, target) {
  const { code } = await transformFile(source, options);
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, code);
}

await rm(outFolder, { recursive: true, force: true });
for (const entry of await readdir(benchFolder, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.d.ts')) continue;
  const source = join(entry.parentPath ?? entry.path, entry.name);
  await transpile(source, join(outFolder, relative(benchFolder, source)).replace(/\.ts$/, '.js'));
}
await transpile(sharedHelper, join(outFolder, '..', 'test', 'support', 'postgres-server.js'));
