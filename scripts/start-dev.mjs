// `npm run start:dev`: builds once, then recompiles the package (ESM) and the sample app as their sources
// change (`tsc -b --watch`) and restarts the app whenever a file it loaded changes (`node --watch`).
// Ctrl-C stops both.
import { execFileSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const SAMPLE = 'sample/sync-app/tsconfig.json';

try {
  execFileSync(process.execPath, ['scripts/build.mjs', SAMPLE], { cwd: root, stdio: 'inherit' });
} catch {
  process.exit(1);
}
const children = [
  spawn(process.execPath, [tsc, '-b', '--watch', '--preserveWatchOutput', 'tsconfig.build.esm.json', SAMPLE], {
    cwd: root,
    stdio: 'inherit',
  }),
  spawn(process.execPath, ['--watch', 'sample/sync-app/dist/main.js'], { cwd: root, stdio: 'inherit' }),
];
const stop = () => {
  for (const child of children) child.kill('SIGTERM');
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
for (const child of children) child.once('exit', stop);
