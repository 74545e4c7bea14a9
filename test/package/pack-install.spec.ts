import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { eventually } from '../fixtures/eventually.js';
import { PACKAGE_ROOT as repo } from '../support/built-package.js';
import { exitOf, freePort, runNode } from '../support/node-process.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

const run = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));
const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version: string }>;
};
/** The host app gets the same versions this repository is tested with. */
const installed = (name: string): string => `${name}@${lock.packages[`node_modules/${name}`]!.version}`;

let workdir: string;
let hostDir: string;
let tarball: string;
let database: TestDatabase | undefined;
let compiled: { ok: boolean; output: string };

/** Runs the host app's build with `env`, checks what it serves, and stops it. */
async function expectHostServes(env: Record<string, string>, driver: string): Promise<void> {
  const port = await freePort();
  const host = runNode('dist/main.js', { cwd: hostDir, env: { ...env, PORT: String(port) } });
  await eventually(() => {
    if (host.child.exitCode !== null) throw new Error(`host app exited:\n${host.output()}`);
    return host.output().includes('listening');
  }, 'the host app listens');
  const health = await fetch(`http://127.0.0.1:${port}/health`);
  expect(health.status).toBe(200);
  expect(await health.json()).toMatchObject({ status: 'ok', info: { storage: { status: 'up', driver } } });
  const notes = await fetch(`http://127.0.0.1:${port}/notes/first`);
  expect(await notes.json()).toEqual({ count: 2, covered: true, resent: false });
  host.child.kill('SIGTERM');
  // Nest's shutdown hooks close the app, then raise the signal again: a clean stop ends by SIGTERM or with 0.
  expect([
    { code: 0, signal: null },
    { code: null, signal: 'SIGTERM' },
  ]).toContainEqual(await exitOf(host));
}

beforeAll(async () => {
  workdir = mkdtempSync(join(tmpdir(), 'nss-pack-'));
  // The run's global setup built dist/ already; prepack would rebuild it under the feet of other test files.
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', workdir, '--json'], {
    cwd: repo,
    maxBuffer: 1 << 24,
  });
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  tarball = join(workdir, packed!.filename);
  writeFileSync(join(workdir, 'files.json'), JSON.stringify(packed!.files.map((file) => file.path)));

  hostDir = join(workdir, 'host');
  const host = {
    name: 'host-app',
    private: true,
    type: 'module',
    dependencies: Object.fromEntries(
      [
        '@nestjs/common',
        '@nestjs/core',
        '@nestjs/platform-express',
        '@nestjs/terminus',
        'reflect-metadata',
        'rxjs',
        '@types/node',
      ].map((name) => [name, installed(name).slice(name.length + 1)]),
    ),
  };
  await run('mkdir', ['-p', join(hostDir, 'src')]);
  writeFileSync(join(hostDir, 'package.json'), JSON.stringify(host, null, 2));
  copyFileSync(join(here, 'host-app/main.ts.txt'), join(hostDir, 'src/main.ts'));
  writeFileSync(
    join(hostDir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        target: 'ES2022',
        strict: true,
        outDir: 'dist',
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        skipLibCheck: false,
        types: ['node'],
      },
      include: ['src'],
    }),
  );
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], {
    cwd: hostDir,
    maxBuffer: 1 << 24,
  });
  const tsc = join(repo, 'node_modules/typescript/bin/tsc');
  compiled = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: hostDir }).then(
    () => ({ ok: true, output: '' }),
    (error: { stdout?: string }) => ({ ok: false, output: error.stdout ?? String(error) }),
  );
}, 240_000);

afterAll(async () => {
  await database?.drop();
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('holds only the built library with its types, README and LICENSE', () => {
    const files = JSON.parse(readFileSync(join(workdir, 'files.json'), 'utf8')) as string[];
    expect(files).toEqual(
      expect.arrayContaining([
        'README.md',
        'LICENSE',
        'package.json',
        'dist/index.js',
        'dist/index.d.ts',
        'dist/yjs/index.js',
        'dist/yjs/index.d.ts',
        'dist/automerge/index.js',
        'dist/automerge/index.d.ts',
      ]),
    );
    const unexpected = files.filter(
      (file) => !['README.md', 'LICENSE', 'package.json'].includes(file) && !/^dist\/.*\.(js|d\.ts)$/.test(file),
    );
    expect(unexpected).toEqual([]);
    expect(files.filter((file) => /^dist\/(main|app\/)/.test(file) || /test|bench|fixture/.test(file))).toEqual([]);
  });

  it('type-checks a fresh Nest app against its published types', () => {
    expect(compiled.output).toBe('');
    expect(compiled.ok).toBe(true);
  });

  it('boots the fresh app on the memory driver and serves /health and the stores', async () => {
    await expectHostServes({}, 'memory');
  });

  it('boots the fresh app on the postgres driver, migrates, and serves /health and the stores', async () => {
    database = await createTestDatabase();
    await expectHostServes({ DATABASE_URL: database.url, DATABASE_SCHEMA: 'host_app' }, 'postgres');
    expect(await database.query('select id from host_app.sync_deltas')).toHaveLength(2);
  });
});
