import { createServer, type Server, type Socket } from 'node:net';
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM } from '@mikro-orm/postgresql';
import { NestFactory } from '@nestjs/core';
import pg from 'pg';
import {
  StorageError,
  StorageModule,
  StorageUnavailableError,
  openStorageProvider,
  type StorageModuleOptions,
} from '../../src/index.js';
import { storageEntities, storageMigrations } from '../../src/postgres.js';
import { resolveStorageOptions } from '../../src/storage/contract/options.js';
import { startStorageProvider } from '../../src/storage/open-storage-provider.js';
import { eventually } from '../fixtures/eventually.js';
import { CapturingLogger, captureProcessOutput, errorText, leakedSecrets } from '../faults/output-capture.js';
import { createTestDatabase, uniqueName, withDatabase, type TestDatabase } from '../support/postgres.js';
import { startPostgresServer } from '../support/postgres-server.js';

// What the storage tells the app's log while it starts, and the errors that say what went wrong at start-up:
// a server that never answers, a migration lock another session holds, tables another migrator made.

const NAMES = storageMigrations.map((migration) => migration.name);

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

/** Starts `StorageModule.forRoot(options)` in a Nest app as a host would; answers the log lines and what the process printed. */
async function bootApp(options: StorageModuleOptions): Promise<{ lines: string[]; printed: string; error: unknown }> {
  const logger = new CapturingLogger();
  const output = captureProcessOutput();
  let error: unknown;
  try {
    const app = await NestFactory.create(
      { module: class StartUpProbe {}, imports: [StorageModule.forRoot(options)] },
      { logger, abortOnError: false },
    );
    await app.close();
  } catch (caught) {
    error = caught;
  } finally {
    output.restore();
  }
  return { lines: logger.lines, printed: output.text(), error };
}

/** The storage's own lines, as `<level>: <message>`. */
const storageLines = (lines: string[]) =>
  lines.filter((line) => line.endsWith(' StorageModule')).map((line) => line.slice(0, -' StorageModule'.length));

describe("the start-up story in Nest's log", () => {
  it('tells driver, target, schema, connection, the migrations applied and the time taken, one line per step', async () => {
    const schema = uniqueName('story');
    const { port, pathname } = new URL(database.url);
    const target = `127.0.0.1:${port}${pathname}`;
    const first = await bootApp({ driver: 'postgres', clientUrl: database.url, schema });
    expect(first.error).toBeUndefined();
    expect(storageLines(first.lines)).toEqual([
      `log: postgres driver: connecting to ${target}, schema "${schema}", on its own pool`,
      expect.stringMatching(new RegExp(`^log: connected to ${target} in \\d+ ms$`)),
      expect.stringMatching(
        new RegExp(
          `^log: applied ${NAMES.length} storage migrations in schema "${schema}" in \\d+(\\.\\d)? m?s: ${NAMES.join(', ')}$`,
        ),
      ),
      expect.stringMatching(/^log: postgres driver ready in \d+(\.\d)? m?s$/),
    ]);

    const again = await bootApp({ driver: 'postgres', clientUrl: database.url, schema });
    expect(storageLines(again.lines)[2]).toMatch(
      new RegExp(`^log: storage migrations up to date in schema "${schema}" \\(checked in \\d+ ms\\)$`),
    );
    const checked = await bootApp({ driver: 'postgres', clientUrl: database.url, schema, migrate: false });
    expect(storageLines(checked.lines)[2]).toMatch(/^log: storage tables found in schema ".*" \(migrate: false;/);

    for (const boot of [first, again, checked]) {
      expect(leakedSecrets([...boot.lines, boot.printed], [database.password, database.url])).toEqual([]);
      // Everything went through the app's logger: nothing printed on its own (console, knex, pg).
      expect(boot.printed).toBe('');
    }
  });

  it('says the memory driver is ready and keeps its data in the process', async () => {
    const { lines } = await bootApp({ driver: 'memory' });
    expect(storageLines(lines)).toEqual(['log: memory driver ready: the data lives in this process only']);
  });

  it('tells the logger given to openStorageProvider, without Nest', async () => {
    const lines: string[] = [];
    const logger = { log: (line: string) => lines.push(line), warn: (line: string) => lines.push(`warn ${line}`) };
    const provider = await openStorageProvider(
      { driver: 'postgres', clientUrl: database.url, schema: uniqueName('own') },
      { logger },
    );
    await provider.close();
    expect(lines[0]).toMatch(
      /^postgres driver: connecting to 127\.0\.0\.1:\d+\/\w+, schema "own_\w+", on its own pool$/,
    );
    expect(lines.at(-1)).toMatch(/^postgres driver ready in /);
  });
});

/** A session that holds the storage's migration lock of `schema` until released. */
async function holdMigrationLock(schema: string): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  await client.query('select pg_advisory_lock(hashtextextended($1, 0))', [`nest-sync-storage:migrations:${schema}`]);
  return { release: () => client.end() };
}

describe('a migration lock held by another session', () => {
  it('logs that it waits for the lock, then migrates once the lock is released', async () => {
    const schema = uniqueName('locked');
    const lock = await holdMigrationLock(schema);
    const logger = new CapturingLogger();
    const starting = startStorageProvider(
      resolveStorageOptions({ driver: 'postgres', clientUrl: database.url, schema }),
      logger,
    );
    try {
      await eventually(
        () => logger.lines.some((line) => line.includes('waiting for the storage migration lock')),
        'the wait is logged',
        30_000,
      );
      expect(logger.lines).toContain(
        `log: waiting for the storage migration lock held by another session (schema "${schema}")`,
      );
      expect(logger.lines.some((line) => line.startsWith('log: applied'))).toBe(false);
    } finally {
      await lock.release();
    }
    const provider = await starting;
    expect(logger.lines.some((line) => line.startsWith(`log: applied ${NAMES.length} storage migrations`))).toBe(true);
    await provider.close();
  });

  it('fails with a StorageUnavailableError naming the lock when the wait outlasts the statement timeout', async () => {
    const schema = uniqueName('locked');
    const lock = await holdMigrationLock(schema);
    try {
      const started = startStorageProvider(
        resolveStorageOptions({
          driver: 'postgres',
          clientUrl: database.url,
          schema,
          mikroOrm: { driverOptions: { connection: { statement_timeout: 1000 } } },
        }),
        new CapturingLogger(),
      );
      await expect(started).rejects.toThrow(StorageUnavailableError);
      await expect(started).rejects.toThrow(
        new RegExp(
          `^timed out after \\d+(\\.\\d)? m?s waiting for the storage migration lock held by another session \\(schema "${schema}"\\)`,
        ),
      );
    } finally {
      await lock.release();
    }
  });
});

describe('a server that accepts connections and never answers', () => {
  let server: Server;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('fails start-up with "connect timed out after 5 s", not a pool that is full', async () => {
    const { port } = server.address() as { port: number };
    const url = withDatabase(`postgresql://app:Sup3rS3cret@127.0.0.1:${port}`, 'sync');
    const started = startStorageProvider(
      resolveStorageOptions({ driver: 'postgres', clientUrl: url }),
      new CapturingLogger(),
    );
    const error = await started.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect((error as Error).message).toBe(
      `PostgreSQL at 127.0.0.1:${port}/sync is unavailable: connect timed out after 5 s (the server accepted the connection and never answered)`,
    );
    expect(leakedSecrets([errorText(error)], ['Sup3rS3cret'])).toEqual([]);
  });
});

describe("tables made by the app's MikroORM migrator, then a start with migrate: true", () => {
  it('fails with an error that says the storage migrations table is empty and what to do', async () => {
    const schema = uniqueName('appmig');
    const orm = await MikroORM.init({
      clientUrl: database.url,
      schema,
      entities: [...storageEntities],
      extensions: [Migrator],
      migrations: { migrationsList: [...storageMigrations], silent: true },
      debug: false,
    });
    try {
      await orm.migrator.up();
    } finally {
      await orm.close(true);
    }
    const { error, lines } = await bootApp({ driver: 'postgres', clientUrl: database.url, schema });
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toMatch(
      /^the storage tables exist but this schema's storage migrations table is empty: schema ".*" was migrated by another migrator .* start with migrate: false/,
    );
    expect(leakedSecrets([errorText(error), ...lines], [database.password, database.url])).toEqual([]);
  });
});

describe('a PostgreSQL that stops while the app runs', () => {
  it("prints nothing of its own: the calls fail with StorageUnavailableError and the log stays Nest's", async () => {
    const server = await startPostgresServer();
    const logger = new CapturingLogger();
    const output = captureProcessOutput();
    const provider = await startStorageProvider(
      resolveStorageOptions({ driver: 'postgres', clientUrl: server.url(), awarenessPruneIntervalMs: 0 }),
      logger,
    ).catch(async (error: unknown) => {
      output.restore();
      await server.destroy();
      throw error;
    });
    try {
      const feed = provider.changes().subscribe();
      await provider.documents.addDelta('doc', {
        id: 'd1',
        clientId: 'a',
        timestamp: 1,
        data: 1,
        vectorClock: { a: 1 },
      });
      await server.stop();
      await expect(provider.documents.getVectorClock('doc')).rejects.toThrow(StorageUnavailableError);
      expect((await provider.checkHealth()).healthy).toBe(false);
      await server.start();
      await eventually(async () => (await provider.checkHealth()).healthy, 'the pool reconnects', 30_000);
      expect(await provider.documents.getVectorClock('doc')).toEqual({ a: 1 });
      feed.unsubscribe();
    } finally {
      await provider.close();
      output.restore();
      await server.destroy();
    }
    expect(output.text()).toBe('');
    expect(leakedSecrets(logger.lines, [server.password, server.url()])).toEqual([]);
  }, 90_000);
});
