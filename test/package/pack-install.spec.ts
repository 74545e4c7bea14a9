import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '../fixtures/free-port.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

const run = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));
const repo = resolve(here, '../..');
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

async function startHost(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: hostDir,
    env: { ...process.env, ...env, PORT: String(port) },
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`host app did not start:\n${output}`)), 30_000);
    child.stdout!.on('data', () => {
      if (output.includes('listening')) {
        clearTimeout(timer);
        ready();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`host app exited with ${code}:\n${output}`));
    });
  });
  return { child, port, output: () => output };
}

/** Nest's shutdown hooks close the app, then re-raise the signal: a clean stop ends by SIGTERM or with code 0. */
async function stopHost(child: ChildProcess): Promise<string> {
  if (child.exitCode !== null) return `code ${child.exitCode}`;
  const exited = new Promise<string>((done) =>
    child.on('exit', (code, signal) =>
      done(code === 0 || signal === 'SIGTERM' ? 'clean' : `code ${code} signal ${signal}`),
    ),
  );
  child.kill('SIGTERM');
  return exited;
}

beforeAll(async () => {
  workdir = mkdtempSync(join(tmpdir(), 'nss-pack-'));
  const { stdout } = await run('npm', ['pack', '--pack-destination', workdir, '--json'], {
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
      expect.arrayContaining(['README.md', 'LICENSE', 'package.json', 'dist/index.js', 'dist/index.d.ts']),
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
    const host = await startHost({});
    try {
      const health = await fetch(`http://127.0.0.1:${host.port}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({
        status: 'ok',
        info: { storage: { status: 'up', driver: 'memory' } },
      });
      const notes = await fetch(`http://127.0.0.1:${host.port}/notes/first`);
      expect(await notes.json()).toEqual({ count: 2, covered: true, resent: false });
    } finally {
      expect(await stopHost(host.child)).toBe('clean');
    }
  }, 60_000);
  it('boots the fresh app on the postgres driver, migrates, and serves /health and the stores', async () => {
    database = await createTestDatabase();
    const host = await startHost({ DATABASE_URL: database.url, DATABASE_SCHEMA: 'host_app' });
    try {
      const health = await fetch(`http://127.0.0.1:${host.port}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({
        status: 'ok',
        info: { storage: { status: 'up', driver: 'postgres' } },
      });
      const notes = await fetch(`http://127.0.0.1:${host.port}/notes/first`);
      expect(await notes.json()).toEqual({ count: 2, covered: true, resent: false });
      const rows = await database.query<{ n: string }>('select count(*) as n from host_app.sync_deltas');
      expect(rows[0]!.n).toBe('2');
    } finally {
      expect(await stopHost(host.child)).toBe('clean');
    }
  }, 60_000);
});
