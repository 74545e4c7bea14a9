// Builds the package: dist/esm (ESM, for `import`) and dist/cjs (CommonJS, for `require`), from all of src/,
// with `tsc -b` (incremental: quick when nothing changed). Extra tsconfig paths given as arguments are
// built in the same run, after the package (the test harness adds the sample app's).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const projects = ['tsconfig.build.esm.json', 'tsconfig.build.cjs.json', ...process.argv.slice(2)];

try {
  execFileSync(process.execPath, [tsc, '-b', ...projects], { cwd: root, stdio: 'inherit' });
} catch {
  process.exit(1);
}
// The package is "type": "module"; without this marker Node would read dist/cjs/*.js as ESM.
mkdirSync(join(root, 'dist/cjs'), { recursive: true });
writeFileSync(join(root, 'dist/cjs/package.json'), '{ "type": "commonjs" }\n');
