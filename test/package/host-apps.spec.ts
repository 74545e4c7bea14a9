import { jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PACKAGE_ROOT } from '../support/built-package.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { HostApp, type Served } from './support/host-app.js';
import {
  MIKRO_ORM_7,
  NEWEST_NODE,
  OLDEST_NODE,
  installNode,
  nest11Steps,
  nest12Orm7Steps,
  nest12Steps,
} from './support/host-steps.js';
import { TESTED_SECTIONS, readmeBlocks, readmeCodeBlocks } from './support/readme-blocks.js';

// The packed package in the apps users build, from templates (test/package/hosts) and the README's code:
// a Nest 11 CommonJS app (Jest) on the oldest supported MikroORM, @mikro-orm/nestjs and Terminus, a
// Nest 12 ESM app on the newest MikroORM 6, each on memory before any optional peer is installed, then on
// postgres with the driver's own ORM and with the app's; and the same Nest 12 app on the newest Node.js
// with MikroORM 7. All install from the registry, side by side.

const run = promisify(execFile);
// A test waits for its step, which runs in the background from the start behind the steps before it.
jest.setTimeout(300_000);

/** What GET /probe/p answers when every call behaved (see test/package/hosts/shared/probe.controller.ts). */
const PROBED = {
  stored: [true, false, true],
  caughtUp: ['d1', 'd2'],
  bytes: [1, 2, 3],
  changes: ['deltas:d1', 'deltas:d2'],
  compacted: 1,
  snapshot: [9],
  present: ['alice'],
  documents: ['p'],
  health: 'up',
};
const CLEAN_EXITS = [
  { code: 0, signal: null },
  { code: null, signal: 'SIGTERM' },
];
const WITHOUT_OPTIONAL_PEERS = { '@mikro-orm/core': false, '@nestjs/terminus': false, pg: true, 'pg-listen': true };

let workdir: string;
let packedFiles: string[];
const databases: TestDatabase[] = [];
let oldestNode: Promise<string>;
let newestNode: Promise<string>;
let nest11: ReturnType<typeof nest11Steps>;
let nest12: ReturnType<typeof nest12Steps>;
let nest12Orm7: ReturnType<typeof nest12Orm7Steps>;

beforeAll(async () => {
  workdir = mkdtempSync(join(tmpdir(), 'nss-hosts-'));
  // The run's global setup built dist/ already; prepack would rebuild it under the feet of other test files.
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', workdir, '--json'], {
    cwd: PACKAGE_ROOT,
    maxBuffer: 1 << 24,
  });
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  const tarball = join(workdir, packed!.filename);
  packedFiles = packed!.files.map((file) => file.path);
  const blocks = readmeBlocks();
  databases.push(await createTestDatabase(), await createTestDatabase(), await createTestDatabase());
  oldestNode = installNode(join(workdir, `node-${OLDEST_NODE}`), OLDEST_NODE);
  newestNode = installNode(join(workdir, `node-${NEWEST_NODE}`), NEWEST_NODE);
  // The steps that need them report their failure.
  oldestNode.catch(() => undefined);
  newestNode.catch(() => undefined);
  const app = (name: 'nest11' | 'nest12', dir: string = name) => new HostApp(name, join(workdir, dir), tarball, blocks);
  nest11 = nest11Steps(app('nest11'), databases[0]!.url, oldestNode);
  nest12 = nest12Steps(app('nest12'), databases[1]!.url, oldestNode);
  nest12Orm7 = nest12Orm7Steps(app('nest12', 'nest12-orm7'), databases[2]!.url, newestNode);
});

afterAll(async () => {
  await Promise.all([
    nest11?.steps.finished(),
    nest12?.steps.finished(),
    nest12Orm7?.steps.finished(),
    oldestNode?.catch(() => undefined),
    newestNode?.catch(() => undefined),
  ]);
  await Promise.all(databases.map((database) => database.drop()));
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

/** The first test of each app: the README's install, with the dependencies but none of the optional peers. */
function itInstallsAsTheReadmeSays(app: () => { install: Promise<unknown>; installed: Promise<unknown> }): void {
  it('installs the package as the README says, with pg and pg-listen but without MikroORM or Terminus', async () => {
    await app().install;
    expect(await app().installed).toEqual(WITHOUT_OPTIONAL_PEERS);
  });
}

/** The answer of GET /probe/p, once the app also stopped cleanly on SIGTERM. */
const probed = (served: Served) => {
  expect(CLEAN_EXITS).toContainEqual(served.exit);
  return served.responses['/probe/p'];
};

/** Every call answered on postgres, on connections of the driver's own pool (with the app's ORM too). */
function expectServedOnPostgres(served: Served): void {
  expect(probed(served)).toEqual({ status: 200, body: PROBED });
  expect(served.during).toBeGreaterThan(0);
}

describe('the packed package', () => {
  it('holds the two builds with their types, the README, LICENSE and CHANGELOG, and nothing else', () => {
    expect(packedFiles).toEqual(
      expect.arrayContaining(['dist/esm/index.js', 'dist/cjs/index.d.ts', 'dist/cjs/package.json', 'CHANGELOG.md']),
    );
    const documents = ['README.md', 'LICENSE', 'CHANGELOG.md', 'package.json', 'dist/cjs/package.json'];
    const built = /^dist\/(esm|cjs)\/.*\.(js|d\.ts)$/;
    expect(packedFiles.filter((file) => !documents.includes(file) && !built.test(file))).toEqual([]);
  });
});

describe('the README', () => {
  it('marks every code block of Install, Use your own MikroORM, CommonJS apps and Migrations for a host app', () => {
    const sections: readonly string[] = TESTED_SECTIONS;
    const blocks = readmeCodeBlocks().filter((block) => sections.includes(block.section));
    expect(blocks.filter((block) => block.marker === undefined)).toEqual([]);
    expect(new Set(blocks.map((block) => block.section))).toEqual(new Set(TESTED_SECTIONS));
    // The shell blocks the apps run, in README order (a marked block no step runs would go unseen).
    expect(
      readmeBlocks().flatMap((block) => (block.run ? [`${block.hosts.join('+')} ${block.phase} ${block.run}`] : [])),
    ).toEqual([
      'nest12 memory install',
      'nest11 postgres nest11-peers',
      'nest12 postgres peers',
      'nest11 memory install',
      'nest12 postgres release-step',
      'nest12 postgres app-migrator',
    ]);
  });
});

describe('a Nest 11 CommonJS app: Jest with ts-jest, MikroORM 6.0.2, @mikro-orm/nestjs 6.1.2, Terminus 11.0.0', () => {
  itInstallsAsTheReadmeSays(() => nest11);

  it('builds with the starter tsconfig and serves every kind of call on the memory driver', async () => {
    expect(probed(await nest11.memory)).toEqual({ status: 200, body: PROBED });
  });

  it(`serves and passes its Jest tests on Node.js ${OLDEST_NODE}, the oldest that engines allows`, async () => {
    const { served, jest: tests } = await nest11.oldestNode;
    expect(probed(served)).toEqual({ status: 200, body: PROBED });
    // The starter's Jest config: the README's test, its CommonJS module and service (sync.spec.ts), and the
    // one that expects the missing MikroORM named.
    expect(tests.output).toMatch(/Tests:\s+3 passed, 3 total/);
  });

  it("builds on MikroORM 6.0.2, the package's declarations checked against MikroORM's (no skipLibCheck)", async () => {
    expect(await nest11.peers).toEqual([]);
  });

  it('serves every kind of call on the postgres driver with its own pool, on MikroORM 6.0.2', async () => {
    expectServedOnPostgres(await nest11.ownOrm);
  });

  it("serves on the database of the app's MikroORM from @mikro-orm/nestjs, and Terminus' /health", async () => {
    const served = await nest11.appOrm;
    expectServedOnPostgres(served);
    expect(served.responses['/health']).toMatchObject({
      status: 200,
      body: { status: 'ok', info: { storage: { status: 'up', driver: 'postgres' } } },
    });
  });

  it("reads the same deltas, bytes included, through the app's EntityManager as the store returns", async () => {
    const served = await nest11.appOrm;
    expect(served.responses['/entities/p']).toEqual({ status: 200, body: { count: 1, sameAsStore: true } });
  });

  it('passes its Jest tests on postgres (the README module, service and @nestjs/config 4 module), and Terminus 11.0.0 answers 200 up and 503 for a returned down', async () => {
    expect((await nest11.jestPostgres).output).toMatch(/Tests:\s+6 passed, 6 total/);
  });
});

describe('a Nest 12 ESM app: TypeScript 6, MikroORM 6.6.16', () => {
  itInstallsAsTheReadmeSays(() => nest12);

  it("builds the README's module and service with TypeScript 6 and serves them on the memory driver", async () => {
    const served = await nest12.memory;
    expect(probed(served)).toEqual({ status: 200, body: PROBED });
    expect(served.responses['/sync/s']).toEqual({
      status: 200,
      body: { first: { isNew: true, clock: { readme: 1 } }, again: false, caughtUp: ['r1'] },
    });
  });

  it(`serves on Node.js ${OLDEST_NODE}, the oldest that engines allows`, async () => {
    expect(probed(await nest12.oldestNode)).toEqual({ status: 200, body: PROBED });
  });

  it("installs the README's MikroORM and serves the README's module on the postgres driver", async () => {
    await nest12.peers;
    expectServedOnPostgres(await nest12.ownOrm);
  });

  it("runs the README's release step: lists, applies and checks the storage migrations", async () => {
    const [list, up, check] = await nest12.releaseStep;
    expect(list).toMatchObject({ code: 0, output: expect.stringMatching(/pending {3}Migration2026/) });
    expect(up).toMatchObject({ code: 0, output: expect.stringMatching(/applied {3}Migration2026/) });
    expect(check).toMatchObject({ code: 0, output: expect.stringContaining('up to date') });
  });

  it("applies the storage migrations with the app's MikroORM CLI, then serves on the app's ORM", async () => {
    const outcomes = await nest12.appMigrator;
    expect(outcomes.map((outcome) => outcome.code)).toEqual([0, 0]);
    expect(outcomes[1]!.output).toContain('Successfully migrated up to the latest version');
    expectServedOnPostgres(await nest12.appOrm);
  });
});

describe(`a Nest 12 ESM app on Node.js ${NEWEST_NODE} with MikroORM ${MIKRO_ORM_7}`, () => {
  it(`installs the package as the README says, then MikroORM ${MIKRO_ORM_7}, and builds with TypeScript 6`, async () => {
    await nest12Orm7.peers;
    expect((await nest12Orm7.versions).output.trim()).toMatch(
      new RegExp(`^v${NEWEST_NODE}\\.\\d+\\.\\d+ ${MIKRO_ORM_7}$`),
    );
  });

  it("serves the README's module on the postgres driver with its own ORM", async () => {
    expectServedOnPostgres(await nest12Orm7.ownOrm);
  });

  it("runs the README's release step: lists, applies and checks the storage migrations", async () => {
    const [list, up, check] = await nest12Orm7.releaseStep;
    expect(list).toMatchObject({ code: 0, output: expect.stringMatching(/pending {3}Migration2026/) });
    expect(up).toMatchObject({ code: 0, output: expect.stringMatching(/applied {3}Migration2026/) });
    expect(check).toMatchObject({ code: 0, output: expect.stringContaining('up to date') });
  });

  it(`applies the storage migrations with the MikroORM ${MIKRO_ORM_7} CLI, then serves on the app's ORM`, async () => {
    const { outcomes, cliVersion } = await nest12Orm7.appMigrator;
    expect(outcomes.map((outcome) => outcome.code)).toEqual([0, 0]);
    expect(cliVersion).toBe(MIKRO_ORM_7);
    expect(outcomes[1]!.output).toMatch(/migrated up to the latest version/i);
    expectServedOnPostgres(await nest12Orm7.appOrm);
  });
});
