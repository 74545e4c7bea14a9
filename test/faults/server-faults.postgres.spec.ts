import { Test } from '@nestjs/testing';
import { StorageModule, StorageUnavailableError, type StorageProvider } from '../../src/index.js';
import { resolveStorageOptions, type StorageModuleOptions } from '../../src/storage/contract/options.js';
import { PostgresStorageProvider } from '../../src/storage/postgres/postgres-storage.provider.js';
import { makeDelta } from '../conformance/conformance-helpers.js';
import { freePort, startEmbeddedServer, uniqueName, type EmbeddedServer } from '../support/postgres-server.js';

// A server of this file's own: these tests stop, restart and freeze it.
let server: EmbeddedServer;
const providers: StorageProvider[] = [];
/** Every message the driver produced, checked for secrets at the end. */
const messages: string[] = [];

beforeAll(async () => {
  server = await startEmbeddedServer();
});

afterAll(async () => {
  server?.thaw();
  await Promise.all(providers.map((provider) => provider.close()));
  await server?.destroy();
});

async function provider(options: Partial<StorageModuleOptions> = {}): Promise<StorageProvider> {
  const created = new PostgresStorageProvider(
    resolveStorageOptions({ driver: 'postgres', clientUrl: server.url(), schema: uniqueName('fault'), ...options }),
  );
  providers.push(created);
  await created.initialize();
  return created;
}

/** The error a call rejected with (recorded for the secrets check), or undefined if it resolved. */
async function failure(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
    return undefined;
  } catch (error) {
    messages.push((error as Error).message);
    return error;
  }
}

describe('when the database server fails', () => {
  it('calls reject with StorageUnavailableError while it is down, and succeed again once it is back, without a restart of the app', async () => {
    const storage = await provider({ pool: { max: 4 } });
    let counter = 0;
    const acknowledged: string[] = [];
    const errors: unknown[] = [];
    let running = true;
    // Traffic that keeps going through the outage, as an app's would.
    const traffic = (async () => {
      while (running) {
        const delta = makeDelta(`t${++counter}`, 'client', counter);
        const error = await failure(
          storage.documents.addDelta('doc', delta).then((stored) => stored && acknowledged.push(delta.id)),
        );
        if (error) errors.push(error);
        await failure(storage.documents.getDeltasSince('doc', { client: counter - 1 }));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 150));
    await server.stop();

    const whileDown = await failure(storage.documents.addDelta('doc', makeDelta('down', 'other', 1)));
    expect(whileDown).toBeInstanceOf(StorageUnavailableError);
    expect((whileDown as Error).message).toMatch(/unavailable/);
    const health = await storage.checkHealth();
    messages.push(health.message ?? '');
    expect(health).toMatchObject({ healthy: false, driver: 'postgres' });

    await server.start();
    expect(await storage.documents.addDelta('doc', makeDelta('back', 'other', 1))).toBe(true);
    expect((await storage.checkHealth()).healthy).toBe(true);
    running = false;
    await traffic;

    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) expect(error).toBeInstanceOf(StorageUnavailableError);
    // Every write acknowledged before, during or after the outage is stored.
    const stored = new Set((await storage.documents.getDeltasSince('doc')).map((delta) => delta.id));
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
  });

  it('checkHealth reports a hung server as down within its timeout, and the pool gets its connection back', async () => {
    const storage = await provider({
      pool: { max: 1 },
      healthCheckTimeoutMs: 300,
      mikroOrm: { pool: { acquireTimeoutMillis: 3_000 } },
    });
    await storage.documents.addDelta('doc', makeDelta('before', 'a', 1));
    server.freeze();
    try {
      // The server stays frozen throughout, so every answer here came from the timeout.
      const checks = [await storage.checkHealth(), await storage.checkHealth(), await storage.checkHealth()];
      for (const health of checks) {
        messages.push(health.message ?? '');
        expect(health).toEqual({
          healthy: false,
          driver: 'postgres',
          latencyMs: expect.any(Number),
          message: 'storage health check timed out',
        });
      }
    } finally {
      server.thaw();
    }
    // With one pooled connection, a slot kept by a timed-out check would starve this call.
    expect(await storage.documents.addDelta('doc', makeDelta('after', 'a', 2))).toBe(true);
    expect((await storage.checkHealth()).healthy).toBe(true);
  });

  it('an unreachable server fails start-up with a clear StorageUnavailableError that names host and port but not the password', async () => {
    const port = await freePort();
    const clientUrl = `postgresql://app:${server.password}@127.0.0.1:${port}/sync`;
    const storage = new PostgresStorageProvider(resolveStorageOptions({ driver: 'postgres', clientUrl }));
    const error = await failure(storage.initialize());
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect((error as Error).message).toBe(`PostgreSQL at 127.0.0.1:${port}/sync is unavailable: connection refused`);
    expect((await storage.checkHealth()).healthy).toBe(false);
    await storage.close();

    const boot = await failure(
      Test.createTestingModule({ imports: [StorageModule.forRoot({ driver: 'postgres', clientUrl })] }).compile(),
    );
    expect(boot).toBeInstanceOf(StorageUnavailableError);
  });

  it('no message produced along the way holds the password or a connection URL', () => {
    expect(messages.length).toBeGreaterThan(5);
    for (const message of messages) {
      expect(message).not.toContain(server.password);
      expect(message).not.toMatch(/postgres(ql)?:\/\//);
    }
  });
});
