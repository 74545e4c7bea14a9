import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from '../fixtures/eventually.js';
import { freePort } from '../fixtures/free-port.js';
import { transpileSources } from '../fixtures/transpile-sources.js';

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
/** Generous bound for a process to start or stop on a busy machine; only a broken app reaches it. */
const PROCESS_BOUND_MS = 20_000;

let buildDir: string;

interface RunningProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs a built script with a clean environment (no storage variables of this machine) plus `env`. */
function run(script: string, args: string[], env: Record<string, string>): RunningProcess {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(PORT|STORAGE_|DATABASE_|AWARENESS_|HEALTH_|MAX_)/.test(name)),
  );
  const child = spawn(process.execPath, [script, ...args], {
    cwd: buildDir,
    env: { ...inherited, NO_COLOR: '1', ...env },
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.on('exit', (code, signal) => done({ code, signal })),
  );
  return { child, output: () => output, exited };
}

async function exitOf(running: RunningProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, fail) => {
    timer = setTimeout(() => {
      running.child.kill('SIGKILL');
      fail(new Error(`process did not exit; output:\n${running.output()}`));
    }, PROCESS_BOUND_MS);
  });
  try {
    return await Promise.race([running.exited, bound]);
  } finally {
    clearTimeout(timer);
  }
}

beforeAll(() => {
  // The build goes to a temp folder that sees the repository's node_modules, as dist/ would.
  buildDir = mkdtempSync(join(tmpdir(), 'nest-sync-storage-build-'));
  symlinkSync(join(repo, 'node_modules'), join(buildDir, 'node_modules'), 'dir');
  writeFileSync(join(buildDir, 'package.json'), JSON.stringify({ type: 'module' }));
  transpileSources(repo, buildDir);
});

afterAll(() => {
  if (buildDir) rmSync(buildDir, { recursive: true, force: true });
});

// Each test runs its own process on its own port, so they run side by side.
describe('the sync app as a process (node main.js)', () => {
  it.concurrent('serves GET /health with status ok, then exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const app = run(join(buildDir, 'main.js'), [], { PORT: String(port) });
    try {
      let response: Response | undefined;
      await eventually(
        async () => {
          if (app.child.exitCode !== null) throw new Error(`the app exited early:\n${app.output()}`);
          response = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
          return response !== undefined;
        },
        'the app answers on its port',
        PROCESS_BOUND_MS,
      );
      expect(response!.status).toBe(200);
      expect(await response!.json()).toMatchObject({
        status: 'ok',
        info: { storage: { status: 'up', driver: 'memory' } },
      });

      app.child.kill('SIGTERM');
      expect(await exitOf(app)).toEqual({ code: 0, signal: null });
    } finally {
      app.child.kill('SIGKILL');
    }
  });

  it.concurrent.each<[string, Record<string, string>, string]>([
    ['STORAGE_DRIVER is unknown', { STORAGE_DRIVER: 'bogus' }, 'STORAGE_DRIVER'],
    ['STORAGE_DRIVER is postgres without DATABASE_URL', { STORAGE_DRIVER: 'postgres' }, 'DATABASE_URL'],
  ])('refuses to start, exiting non-zero with a message naming the variable, when %s', async (_case, env, variable) => {
    const app = run(join(buildDir, 'main.js'), [], { PORT: String(await freePort()), ...env });
    const { code } = await exitOf(app);
    expect(code).not.toBe(0);
    expect(app.output()).toContain(variable);
  });

  it.concurrent('refuses a DATABASE_URL of another database without printing its password', async () => {
    const app = run(join(buildDir, 'main.js'), [], {
      PORT: String(await freePort()),
      STORAGE_DRIVER: 'postgres',
      DATABASE_URL: 'mysql://app:Sup3rS3cret@db.internal:3306/sync',
    });
    const { code } = await exitOf(app);
    expect(code).not.toBe(0);
    expect(app.output()).toContain('options.clientUrl');
    expect(app.output()).not.toContain('Sup3rS3cret');
  });

  it.concurrent(
    'exits by itself when an app is left open: the awareness prune timer does not hold the process',
    async () => {
      const app = run(join(repo, 'test/fixtures/storage-app-left-open.mjs'), [buildDir], {});
      expect(await exitOf(app)).toEqual({ code: 0, signal: null });
      expect(app.output()).toContain('pruned; leaving the app open');
    },
  );
});
