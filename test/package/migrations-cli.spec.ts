import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { storageMigrations } from '../../src/postgres.js';
import { PACKAGE_ROOT } from '../support/built-package.js';
import { freshClone, outcomeOf } from '../support/fresh-clone.js';
import { freePort } from '../support/node-process.js';
import { createTestDatabase, withDatabase, type TestDatabase } from '../support/postgres.js';

const run = promisify(execFile);
const NAMES = storageMigrations.map((migration) => migration.name);

let database: TestDatabase;
let clone: string;

beforeAll(async () => {
  database = await createTestDatabase();
  clone = freshClone();
});

afterAll(async () => {
  await database?.drop();
  if (clone) rmSync(clone, { recursive: true, force: true });
});

describe('npm run migration:list|check|up on a fresh clone', () => {
  const npmRun = (script: string) =>
    outcomeOf('npm', ['run', '-s', `migration:${script}`], clone, {
      DATABASE_URL: database.url,
      DATABASE_SCHEMA: 'clone',
    });

  it('builds, lists the pending migrations, fails the check until up applies them, then passes it', async () => {
    const listed = await npmRun('list');
    expect(listed).toMatchObject({ code: 0, output: expect.stringContaining(`pending   ${NAMES[0]}`) });
    expect(await npmRun('check')).toMatchObject({
      code: 1,
      output: expect.stringContaining(`${NAMES.length} pending`),
    });
    const applied = await npmRun('up');
    expect(applied.code).toBe(0);
    for (const name of NAMES) expect(applied.output).toContain(`applied   ${name}`);
    expect(await npmRun('check')).toMatchObject({ code: 0, output: expect.stringContaining('up to date') });
    expect(await database.query('select name from clone.sync_storage_migrations')).toHaveLength(NAMES.length);
    expect(listed.output).not.toContain(database.password);
  }, 180_000);
});

describe('nest-sync-storage-migrations', () => {
  const bin = join(PACKAGE_ROOT, 'dist/esm/storage/postgres/migrations-cli.js');
  const cli = (args: string[], env: Record<string, string> = {}) =>
    outcomeOf(process.execPath, [bin, ...args], tmpdir(), { DATABASE_URL: '', DATABASE_SCHEMA: '', ...env });

  it('prints its usage on stdout and exits 0 for --help, -h and help, without DATABASE_URL', async () => {
    for (const flag of ['--help', '-h', 'help']) {
      const asked = await run(process.execPath, [bin, flag], { env: { ...process.env, DATABASE_URL: '' } });
      expect(asked.stdout).toMatch(/^usage: nest-sync-storage-migrations <list\|check\|up\|--help>\n/);
      expect(asked.stderr).toBe('');
    }
  });

  it('answers an unknown command or a missing DATABASE_URL with its usage and exit code 2', async () => {
    expect(await cli(['migrate'])).toMatchObject({ code: 2, output: expect.stringContaining('usage:') });
    expect(await cli(['up'])).toMatchObject({ code: 2, output: expect.stringContaining('DATABASE_URL is not set') });
  });

  it('names DATABASE_URL when it is not a PostgreSQL URL, without echoing it', async () => {
    const outcome = await cli(['check'], { DATABASE_URL: 'mysql://app:Sup3rS3cret@db.internal/sync' });
    expect(outcome.code).toBe(1);
    expect(outcome.output).toContain('DATABASE_URL must be a postgres:// or postgresql:// URL');
    expect(outcome.output).not.toMatch(/Sup3rS3cret|db\.internal/);
  });

  it('reports a refused password, an unreachable server or a missing database in its own words and SQLSTATE, never the password', async () => {
    const wrongPassword = new URL(database.url);
    wrongPassword.password = 'Wr0ngPassw0rd';
    const refused = await cli(['list'], { DATABASE_URL: wrongPassword.toString() });
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/is unavailable: authentication failed \(SQLSTATE 28P01\)\n$/);
    const unreachable = await cli(['up'], {
      DATABASE_URL: withDatabase(`postgresql://app:Sup3rS3cret@127.0.0.1:${await freePort()}`, 'sync'),
    });
    expect(unreachable.code).toBe(1);
    expect(unreachable.output).toMatch(/^PostgreSQL at 127\.0\.0\.1:\d+\/sync is unavailable: connection refused\n$/m);
    const missing = await cli(['list'], { DATABASE_URL: withDatabase(database.url, 'no_such_database') });
    expect(missing.code).toBe(1);
    expect(missing.output).toMatch(
      /^PostgreSQL at 127\.0\.0\.1:\d+\/no_such_database is unavailable: the database does not exist \(SQLSTATE 3D000\)\n$/m,
    );
    for (const outcome of [refused, unreachable, missing]) {
      expect(outcome.output).not.toMatch(/Wr0ngPassw0rd|Sup3rS3cret|postgresql:\/\/|\bat .*\.js:\d+/);
    }
  });
});
