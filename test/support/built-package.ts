import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { transpileSources } from '../../fixtures/transpile-sources.js';

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

/** The package as JavaScript in a temp folder that sees the repository's node_modules, as an installed copy would. */
export interface BuiltPackage {
  readonly dir: string;
  /** `file:` URL of the built entry point (what `import 'nest-sync-storage'` loads). */
  readonly entryUrl: string;
  /** The built sync app (`node main.js`). */
  readonly mainScript: string;
  remove(): void;
}

export function buildPackage(): BuiltPackage {
  const dir = mkdtempSync(join(tmpdir(), 'nest-sync-storage-reliability-'));
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  transpileSources(repo, dir);
  return {
    dir,
    entryUrl: pathToFileURL(join(dir, 'index.js')).href,
    mainScript: join(dir, 'main.js'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A script of this folder's fixtures, by name. */
export function fixtureScript(name: string): string {
  return join(repo, 'test', 'reliability', 'fixtures', name);
}

export interface NodeProcess {
  readonly child: ChildProcess;
  output(): string;
  /** The lines the process printed that start with `prefix`, parsed as JSON. */
  messages<T>(prefix: string): T[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `node script` with a clean environment (none of this machine's storage variables) plus `env`. */
export function runNode(script: string, env: Record<string, string>, cwd = repo): NodeProcess {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(PORT|STORAGE_|DATABASE_|AWARENESS_|HEALTH_|MAX_|RACE_)/.test(name),
    ),
  );
  const child = spawn(process.execPath, [script], {
    cwd,
    env: { ...inherited, NO_COLOR: '1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.on('exit', (code, signal) => done({ code, signal })),
  );
  return {
    child,
    output: () => output,
    messages: <T>(prefix: string) =>
      output
        .split('\n')
        .filter((line) => line.startsWith(prefix))
        .map((line) => JSON.parse(line.slice(prefix.length)) as T),
    exited,
  };
}

/** Waits for the process to exit; past `boundMs` it is killed and the test fails with its output. */
export async function exitOf(
  running: NodeProcess,
  boundMs: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, fail) => {
    timer = setTimeout(() => {
      running.child.kill('SIGKILL');
      fail(new Error(`process did not exit within ${boundMs} ms; output:\n${running.output().slice(-4000)}`));
    }, boundMs);
  });
  try {
    return await Promise.race([running.exited, bound]);
  } finally {
    clearTimeout(timer);
  }
}
