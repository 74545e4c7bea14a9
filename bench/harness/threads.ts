// Calls between a scenario and its worker threads: the parent calls a worker's handlers by name and
// awaits their answers; a worker that throws, fails or exits rejects the calls it left unanswered.
import { Session } from 'node:inspector/promises';
import { parentPort, Worker } from 'node:worker_threads';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any handler signature; callers get its own types
export type Handlers = Record<string, (...args: any[]) => unknown>;

type Request = { id: number; name: string; args: unknown[] };
type Answer = { id: number; value?: unknown; error?: string };

/** Where a thread spent its CPU time: self time (ms) per function, per package, and per function of this package; largest first. */
export type ProfileSummary = { functions: [string, number][]; packages: [string, number][]; ours: [string, number][] };

/** Who runs code at `url`: a package of node_modules, this package's build, the bench, Node, or native code. */
function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node';
  const installed = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (installed) return installed[1]!;
  if (url.includes('/dist/')) return 'nest-sync-storage';
  return url.includes('/.tmp/bench/') ? 'bench' : '(other)';
}

const largestFirst = (totals: Map<string, number>, top: number): [string, number][] =>
  [...totals.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);

/** A CPU profile of this thread (the inspector's sampling profiler) between `start` and `stop`. */
function profiler() {
  const session = new Session();
  return {
    async start(): Promise<void> {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 500 });
      await session.post('Profiler.start');
    },
    /** Stops; answers the `top` functions and packages by self time. */
    async stop(top: number): Promise<ProfileSummary> {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      const [functions, packages, ours] = [
        new Map<string, number>(),
        new Map<string, number>(),
        new Map<string, number>(),
      ];
      const add = (totals: Map<string, number>, name: string, ms: number) =>
        totals.set(name, (totals.get(name) ?? 0) + ms);
      const { samples = [], timeDeltas = [] } = profile;
      const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
      samples.forEach((id, index) => {
        const { functionName, url, lineNumber } = nodes.get(id)!.callFrame;
        const ms = (timeDeltas[index + 1] ?? 0) / 1000;
        const file = url.replace(/^.*\/node_modules\//, '').replace(/^.*\/(dist|\.tmp)\//, '$1/');
        const name = `${functionName || '(anonymous)'}${url ? ` ${file}:${lineNumber + 1}` : ''}`;
        add(functions, name, ms);
        add(packages, packageOf(url, functionName), ms);
        if (packageOf(url, functionName) === 'nest-sync-storage') add(ours, name, ms);
      });
      return {
        functions: largestFirst(functions, top),
        packages: largestFirst(packages, top),
        ours: largestFirst(ours, top),
      };
    },
  };
}

/**
 * In a worker: answers the parent's calls with `handlers` (an error travels as its stack), and with
 * `profileStart()` / `profileStop(top)` a CPU profile of the thread.
 */
export function serve(ownHandlers: Handlers): void {
  const profiling = profiler();
  const handlers: Handlers & Profiling = {
    ...ownHandlers,
    profileStart: () => profiling.start(),
    profileStop: (top: number) => profiling.stop(top),
  };
  const port = parentPort;
  if (!port) throw new Error('bench: a worker module was loaded outside a worker thread');
  port.on('message', ({ id, name, args }: Request) => {
    const answer = (reply: Omit<Answer, 'id'>) => port.postMessage({ id, ...reply });
    Promise.resolve()
      .then(() => handlers[name]!(...args))
      .then(
        (value) => answer({ value }),
        (error: unknown) => answer({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
      );
  });
}

/** What every thread answers besides its own handlers. */
type Profiling = { profileStart(): Promise<void>; profileStop(top: number): Promise<ProfileSummary> };

export interface Thread<Own extends Handlers, H extends Handlers = Own & Profiling> {
  worker: Worker;
  call<K extends keyof H & string>(name: K, ...args: Parameters<H[K]>): Promise<Awaited<ReturnType<H[K]>>>;
  /** Ends the thread at once (whatever it holds open goes with it); idempotent. */
  terminate(): Promise<void>;
}

/** Starts the worker module at `url` with `workerData`. */
export function startThread<H extends Handlers>(url: URL, workerData: unknown): Thread<H> {
  const worker = new Worker(url, { workerData });
  const waiting = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let ended: Error | null = null;
  const end = (error: Error) => {
    ended ??= error;
    for (const { reject } of waiting.values()) reject(ended);
    waiting.clear();
  };
  worker.on('message', ({ id, value, error }: Answer) => {
    const caller = waiting.get(id);
    waiting.delete(id);
    if (error === undefined) caller?.resolve(value);
    else caller?.reject(new Error(`bench worker: ${error}`));
  });
  worker.on('error', (error) => end(error));
  worker.on('exit', (code) => end(new Error(`bench: a worker thread exited (code ${code})`)));
  let next = 0;
  return {
    worker,
    call(name, ...args) {
      if (ended) return Promise.reject(ended);
      const id = next++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
        worker.postMessage({ id, name, args } satisfies Request);
      });
    },
    async terminate() {
      await worker.terminate();
    },
  };
}

/** The scheduled times of `count` actions every `periodMs` from `offsetMs`, for each of `offsets`, in time order. */
export function schedule(offsets: readonly number[], periodMs: number, count: number): { at: number; who: number }[] {
  const due = offsets.flatMap((offsetMs, who) =>
    Array.from({ length: count }, (_, n) => ({ at: offsetMs + n * periodMs, who })),
  );
  return due.sort((a, b) => a.at - b.at);
}

/**
 * Runs `act(who)` at each scheduled time after `startAt` (a `Date.now()` the threads share); one late is run at
 * once, so every action scheduled is taken. Answers how late each one ran (ms).
 */
export async function runSchedule(
  startAt: number,
  due: readonly { at: number; who: number }[],
  act: (who: number) => void,
): Promise<number[]> {
  const origin = startAt - performance.timeOrigin; // the start on this thread's performance.now() clock
  const late: number[] = [];
  for (let next = 0; next < due.length;) {
    const at = origin + due[next]!.at;
    const now = performance.now();
    if (at > now) {
      await new Promise((resolve) => setTimeout(resolve, at - now));
      continue;
    }
    act(due[next++]!.who);
    late.push(now - at);
  }
  return late;
}

/** Waits until `check()` holds, polling every 5 ms; fails after `boundMs`. */
export async function until(check: () => boolean, what: string, boundMs = 60_000): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`bench: never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
