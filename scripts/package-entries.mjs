// The package's entry points, found in src/, and the `exports` / `typesVersions` they need in package.json.
//   node scripts/package-entries.mjs          checks package.json (exit 1 and the fix when it differs)
//   node scripts/package-entries.mjs --write  rewrites those two fields
// An entry is src/index.ts (the root), a file directly in src/ (src/postgres.ts: `./postgres`) or a folder's
// index.ts (src/yjs/index.ts: `./yjs`); src/storage/ holds the implementation and is never one.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const INTERNAL_FOLDERS = new Set(['storage']);

/** `[subpath, path of the compiled file without extension, relative to dist/<build>/]`, root first. */
export function findEntries(src = join(root, 'src')) {
  const entries = [['.', 'index']];
  for (const item of readdirSync(src, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (item.isFile() && item.name.endsWith('.ts') && !item.name.endsWith('.d.ts') && item.name !== 'index.ts')
      entries.push([`./${item.name.slice(0, -3)}`, item.name.slice(0, -3)]);
    else if (item.isDirectory() && !INTERNAL_FOLDERS.has(item.name) && existsSync(join(src, item.name, 'index.ts')))
      entries.push([`./${item.name}`, `${item.name}/index`]);
  }
  return entries;
}

/** ESM for `import`, CommonJS for `require`, each with its own declarations (types first in each). */
export function packageFields(entries = findEntries()) {
  const build = (format, file) => ({ types: `./dist/${format}/${file}.d.ts`, default: `./dist/${format}/${file}.js` });
  const exports = Object.fromEntries(
    entries.map(([subpath, file]) => [subpath, { import: build('esm', file), require: build('cjs', file) }]),
  );
  exports['./package.json'] = './package.json';
  // TypeScript's node10 resolution (moduleResolution "node") ignores `exports`: subpaths need typesVersions.
  const typesVersions = {
    '*': Object.fromEntries(entries.slice(1).map(([subpath, file]) => [subpath.slice(2), [`./dist/cjs/${file}.d.ts`]])),
  };
  return { exports, typesVersions };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = join(root, 'package.json');
  const pkg = JSON.parse(readFileSync(file, 'utf8'));
  const wanted = packageFields();
  const same = (key) => JSON.stringify(pkg[key]) === JSON.stringify(wanted[key]);
  const inStep = same('exports') && same('typesVersions');
  if (process.argv.includes('--write')) {
    if (!inStep) {
      writeFileSync(file, `${JSON.stringify({ ...pkg, ...wanted }, null, 2)}\n`);
      console.log(`package.json: exports for ${Object.keys(wanted.exports).join(', ')}`);
    }
  } else if (!inStep) {
    console.error('package.json exports/typesVersions do not match the entries in src/: run `npm run entries`');
    process.exit(1);
  }
}
