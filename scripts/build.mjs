// Builds the package: dist/esm (ESM, for `import`) and dist/cjs (CommonJS, for `require`), from all of src/,
// and the compiled copy of mikro-orm.config.ts the MikroORM CLI loads (.tmp/mikro-orm), with `tsc -b`
// (incremental: quick, and writing nothing, when nothing changed). Extra tsconfig paths given as arguments
// are built in the same run, after the package (`npm start` and the test harness add the sample app's).
// One build of a clone at a time: a second one (a second `npm start`) waits for the first, then finds
// everything up to date and leaves the files the first instance is loading alone.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withBuildLock } from './build-lock.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const projects = [
  'tsconfig.build.esm.json',
  'tsconfig.build.cjs.json',
  'tsconfig.mikro-orm.json',
  ...process.argv.slice(2),
];

const built = await withBuildLock(join(root, '.tmp', 'build.lock'), () => {
  try {
    execFileSync(process.execPath, [tsc, '-b', ...projects], { cwd: root, stdio: 'inherit' });
  } catch {
    return false;
  }
  // The package is "type": "module"; without this marker Node would read dist/cjs/*.js as ESM.
  mkdirSync(join(root, 'dist/cjs'), { recursive: true });
  writeFileSync(join(root, 'dist/cjs/package.json'), '{ "type": "commonjs" }\n');
  return true;
});
if (!built) process.exit(1);
