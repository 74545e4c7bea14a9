import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { APP_VARIABLES } from '../../sample/sync-app/src/config/app.config.js';

export { freePort } from './postgres-server.js';

/** Generous bound for a process to start or stop on a busy machine; only a broken process reaches it. */
export const PROCESS_BOUND_MS = 60_000;

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface NodeProcess {
  readonly child: ChildProcess;
  /** Everything it printed so far, stdout and stderr interleaved. */
  output(): string;
  /** The lines it printed that start with `prefix`, parsed as JSON. */
  messages<T>(prefix: string): T[];
  readonly exited: Promise<ProcessExit>;
}

export interface RunOptions {
  args?: readonly string[];
  /** Added to this process's environment, from which the sample app's variables are removed first. */
  env?: Record<string, string>;
  /** Default: the system temp folder, which holds no `.env` for the sample app to read. */
  cwd?: string;
  /** The Node.js binary; default the one running the tests. */
  node?: string;
}

const running = new Set<NodeProcess>();

/** Runs `node script ...args`; the process is killed at the latest when the test file ends (`killRunning`). */
export function runNode(
  script: string,
  { args = [], env = {}, cwd = tmpdir(), node = process.execPath }: RunOptions = {},
): NodeProcess {
  const inherited = { ...process.env };
  for (const name of APP_VARIABLES) delete inherited[name];
  const child = spawn(node, [script, ...args], {
    cwd,
    env: { ...inherited, NO_COLOR: '1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<ProcessExit>((done) => child.on('exit', (code, signal) => done({ code, signal })));
  const started: NodeProcess = {
    child,
    output: () => output,
    messages: <T>(prefix: string) =>
      output
        .split('\n')
        .filter((line) => line.startsWith(prefix))
        .map((line) => JSON.parse(line.slice(prefix.length)) as T),
    exited,
  };
  running.add(started);
  void exited.then(() => running.delete(started));
  return started;
}

/** Waits for the process to exit; past `boundMs` it is killed and the test fails with its output. */
export async function exitOf(started: NodeProcess, boundMs = PROCESS_BOUND_MS): Promise<ProcessExit> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, fail) => {
    timer = setTimeout(() => {
      started.child.kill('SIGKILL');
      fail(new Error(`process did not exit within ${boundMs} ms; output:\n${started.output().slice(-4000)}`));
    }, boundMs);
  });
  try {
    return await Promise.race([started.exited, bound]);
  } finally {
    clearTimeout(timer);
  }
}

/** SIGKILLs every process this file started that still runs: a failed test must not leave one behind. */
export function killRunning(): void {
  for (const started of running) started.child.kill('SIGKILL');
}
afterAll(killRunning);
