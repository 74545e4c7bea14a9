import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from '../fixtures/eventually.js';
import { PROCESS_BOUND_MS, exitOf, freePort, runNode, type NodeProcess, type ProcessExit } from './node-process.js';

// Importing this module makes the jest global setup build the package and the sample app (tsc, as
// `npm run build` and `npm run build:sample`) once for the run; spawned processes run that build.
const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

/** The package's folder, whose dist/ holds the build (what `npm pack` packs). */
export const PACKAGE_ROOT = repo;

/** The built sample app, as `npm start` runs it. */
export const SAMPLE_APP_MAIN = join(repo, 'sample/sync-app/dist/main.js');

/** A script of test/fixtures, by name; fixtures import the built package by its name, as a user does. */
export function fixtureScript(name: string): string {
  return join(repo, 'test/fixtures', name);
}

export interface RunningSampleApp {
  readonly process: NodeProcess;
  /** `http://127.0.0.1:<port>` */
  readonly baseUrl: string;
  /** SIGTERM, then its exit. */
  stop(): Promise<ProcessExit>;
}

/** Starts the built sample app on a free port with `env`, and waits until it answers `/health`. */
export async function startSampleApp(env: Record<string, string> = {}, cwd?: string): Promise<RunningSampleApp> {
  const port = await freePort();
  const app = runNode(SAMPLE_APP_MAIN, { env: { PORT: String(port), ...env }, cwd });
  const baseUrl = `http://127.0.0.1:${port}`;
  await eventually(
    async () => {
      if (app.child.exitCode !== null) throw new Error(`the app exited while starting:\n${app.output()}`);
      return (await fetch(`${baseUrl}/health`).catch(() => undefined)) !== undefined;
    },
    'the app answers /health',
    PROCESS_BOUND_MS,
  );
  return {
    process: app,
    baseUrl,
    stop() {
      app.child.kill('SIGTERM');
      return exitOf(app);
    },
  };
}
