import type { Driver } from '../support/storage-targets.js';
import { createTestDatabase, uniqueName, type TestDatabase } from '../support/postgres.js';
import { startHttpApp, type HttpApp } from './http-client.js';

/**
 * Starts sample apps for one test file on either driver and closes them when the file ends. Postgres apps
 * share one database of the file, each with a schema of its own; it is created on the first postgres app.
 */
export function httpApps(): {
  start(driver: Driver, env?: Record<string, string>): Promise<HttpApp>;
  /** An app started in the calling `describe`'s `beforeAll`, for its tests to use. */
  forSuite(driver: Driver, env?: Record<string, string>): HttpApp;
} {
  let database: Promise<TestDatabase> | undefined;
  const started: HttpApp[] = [];
  afterAll(async () => {
    await Promise.all(started.splice(0).map((app) => app.close()));
    await (await database)?.drop();
  });
  const apps = {
    async start(driver: Driver, env: Record<string, string> = {}) {
      let storage: Record<string, string> = {};
      if (driver === 'postgres') {
        database ??= createTestDatabase();
        storage = {
          STORAGE_DRIVER: 'postgres',
          DATABASE_URL: (await database).url,
          DATABASE_SCHEMA: uniqueName('http'),
        };
      }
      const app = await startHttpApp({ ...storage, ...env });
      started.push(app);
      return app;
    },
    forSuite(driver: Driver, env: Record<string, string> = {}): HttpApp {
      let app: HttpApp | undefined;
      beforeAll(async () => {
        app = await apps.start(driver, env);
      });
      const started = (): HttpApp => app ?? fail('the app starts in beforeAll');
      return {
        get app() {
          return started().app;
        },
        get baseUrl() {
          return started().baseUrl;
        },
        request: (...args) => started().request(...args),
        close: () => started().close(),
      };
    },
  };
  return apps;
}

function fail(message: string): never {
  throw new Error(message);
}
