import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { APP_VARIABLES } from '../../../sample/sync-app/src/config/app.config.js';
import { eventually } from '../../fixtures/eventually.js';
import { PACKAGE_ROOT } from '../../support/built-package.js';
import { PROCESS_BOUND_MS, exitOf, freePort, runNode, type ProcessExit } from '../../support/node-process.js';
import type { HostName, Phase, ReadmeBlock } from './readme-blocks.js';

const run = promisify(execFile);
const HOSTS = join(PACKAGE_ROOT, 'test/package/hosts');
const TEMPLATES: Record<HostName, string> = { nest11: 'nest11-cjs', nest12: 'nest12-esm' };

/** Every npm command of a host: the shared cache first, no audit or funding requests. */
const NPM_SETTINGS = {
  npm_config_prefer_offline: 'true',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
};

export interface Outcome {
  code: number;
  output: string;
}

export interface Served {
  /** The JSON body of each path asked for, with its status. */
  responses: Record<string, { status: number; body: unknown }>;
  /** What `whileServing` answered. */
  during: unknown;
  exit: ProcessExit;
}

export interface ServeOptions {
  env?: Record<string, string>;
  /** Asked for once the app listens, in order. */
  paths: string[];
  /** Runs after the requests, while the app still serves. */
  whileServing?: () => Promise<unknown>;
  /** The Node.js binary; default the one running the tests. */
  node?: string;
}

/** A Nest app in a folder of its own, made from a template of test/package/hosts and README blocks. */
export class HostApp {
  constructor(
    readonly name: HostName,
    readonly dir: string,
    private readonly tarball: string,
    private readonly blocks: readonly ReadmeBlock[],
  ) {}

  /**
   * Writes the files of `phase`: the template's (`postgres/` goes into `src/` after the peers are installed)
   * and the shared ones, then the README's, as they are.
   */
  addFiles(phase: Phase): void {
    const template = join(HOSTS, TEMPLATES[this.name]);
    if (phase === 'memory') {
      cpSync(template, this.dir, { recursive: true, filter: (path) => path !== join(template, 'postgres') });
      for (const file of ['probe.controller.ts', 'serve.ts'])
        cpSync(join(HOSTS, 'shared', file), this.path(`src/${file}`));
    } else {
      cpSync(join(template, 'postgres'), this.path('src'), { recursive: true });
    }
    for (const block of this.blocks) {
      if (!block.hosts.includes(this.name) || block.phase !== phase || block.file === undefined) continue;
      mkdirSync(dirname(this.path(block.file)), { recursive: true });
      writeFileSync(this.path(block.file), block.code);
    }
  }

  /**
   * Runs the lines of the README block `run:<name>`, one by one, as they are; only `npm install
   * nest-sync-storage` installs the packed tarball instead (the package is not on the registry), and
   * `adapt` may change a line (another MikroORM version). Stops at the first line that fails.
   */
  async runReadme(
    name: string,
    env: Record<string, string> = {},
    adapt: (line: string) => string = (line) => line,
  ): Promise<(Outcome & { line: string })[]> {
    const block = this.blocks.find((each) => each.hosts.includes(this.name) && each.run === name);
    if (!block) throw new Error(`README has no block "${this.name} run:${name}"`);
    const outcomes: (Outcome & { line: string })[] = [];
    for (const line of block.code.split('\n').filter((each) => each.trim() !== '')) {
      const command = line === 'npm install nest-sync-storage' ? `npm install ${this.tarball}` : adapt(line);
      const outcome = { line, ...(await this.shell(command, env)) };
      outcomes.push(outcome);
      if (outcome.code !== 0) break;
    }
    return outcomes;
  }

  /** `command` through sh in the app's folder, without the sample app's variables of this process. */
  async shell(command: string, env: Record<string, string> = {}): Promise<Outcome> {
    const inherited = { ...process.env };
    for (const name of APP_VARIABLES) delete inherited[name];
    try {
      const { stdout, stderr } = await run('sh', ['-c', command], {
        cwd: this.dir,
        env: { ...inherited, ...NPM_SETTINGS, ...env },
        maxBuffer: 1 << 26,
      });
      return { code: 0, output: stdout + stderr };
    } catch (error) {
      const { code, stdout, stderr } = error as { code?: number; stdout?: string; stderr?: string };
      return { code: code ?? -1, output: `${stdout ?? ''}${stderr ?? ''}` };
    }
  }

  /** Starts `node <entry>`, GETs each path once it listens, runs `whileServing`, then stops it with SIGTERM. */
  async serve(
    entry: string,
    { env = {}, paths, whileServing = async () => undefined, node }: ServeOptions,
  ): Promise<Served> {
    const port = await freePort();
    const app = runNode(this.path(entry), { cwd: this.dir, env: { ...env, PORT: String(port) }, node });
    await eventually(
      () => {
        if (app.child.exitCode !== null) throw new Error(`${this.name} ${entry} exited:\n${app.output()}`);
        return app.output().includes('listening on');
      },
      `${this.name} ${entry} listens`,
      PROCESS_BOUND_MS,
    );
    const responses: Served['responses'] = {};
    for (const path of paths) {
      const response = await fetch(`http://127.0.0.1:${port}${path}`);
      responses[path] = { status: response.status, body: await response.json() };
    }
    const during = await whileServing();
    app.child.kill('SIGTERM');
    return { responses, during, exit: await exitOf(app) };
  }

  path(file: string): string {
    return join(this.dir, file);
  }
}

/**
 * The steps of one host app, run one after another in the background while the tests wait for the step
 * each one checks: two apps then install and build side by side. After a failed step, the later ones
 * fail too, naming it.
 */
export class Steps {
  private last: Promise<unknown> = Promise.resolve();
  private readonly all: Promise<unknown>[] = [];

  constructor(private readonly host: HostName) {}

  add<T>(name: string, work: () => Promise<T>): Promise<T> {
    const step = this.last.then(async () => {
      const started = Date.now();
      try {
        return await work();
      } finally {
        if (process.env.HOST_STEPS_TIMING) console.log(`${this.host} ${name}: ${Date.now() - started} ms`);
      }
    });
    this.last = step.catch((error: Error) => {
      throw error.message.startsWith('skipped') ? error : new Error(`skipped: ${this.host} "${name}" failed first`);
    });
    // A test awaits each step and reports its failure; these keep Node from calling the others unhandled.
    step.catch(() => undefined);
    this.last.catch(() => undefined);
    this.all.push(step);
    return step;
  }

  /** Resolves once every step has ended, whatever the outcome. */
  finished(): Promise<unknown> {
    return Promise.allSettled(this.all);
  }
}
