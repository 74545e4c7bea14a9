// Transpiles bench/**/*.ts with swc into .tmp/bench/ in about a second, and the tests' PostgreSQL helper the
// bench starts its server with into .tmp/test/support/. `npm run typecheck` checks the types.
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformFile } from '@swc/core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const options = {
  jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
  module: { type: 'es6' },
  sourceMaps: 'inline',
};
const sources = (await readdir(join(root, 'bench'), { recursive: true, withFileTypes: true }))
  .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
  .map((entry) => join(entry.parentPath ?? entry.path, entry.name));

await rm(join(root, '.tmp', 'bench'), { recursive: true, force: true });
for (const source of [...sources, join(root, 'test', 'support', 'postgres-server.ts')]) {
  const target = join(root, '.tmp', relative(root, source)).replace(/\.ts$/, '.js');
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, (await transformFile(source, options)).code);
}
