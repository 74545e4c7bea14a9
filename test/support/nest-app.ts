import type { DynamicModule, INestApplication, LoggerService, Type } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';

export interface NestAppOptions {
  /** Tokens whose provider is replaced by the given value (a real provider built elsewhere, or a double). */
  overrides?: ReadonlyArray<readonly [token: unknown, value: unknown]>;
  /** Nest's logger; default none. */
  logger?: LoggerService | false;
  /** Called before `init()`, as a `main.ts` would (body parsers, OpenAPI). */
  configure?: (app: NestExpressApplication) => void;
}

/** The one way these tests start a Nest application: the real container around `root`, initialised. */
export async function startNestApp(
  root: Type | DynamicModule | Promise<DynamicModule>,
  { overrides = [], logger = false, configure }: NestAppOptions = {},
): Promise<NestExpressApplication> {
  const builder = Test.createTestingModule({ imports: [await root] });
  for (const [token, value] of overrides) builder.overrideProvider(token).useValue(value);
  const app = (await builder.compile()).createNestApplication<NestExpressApplication>({ logger });
  configure?.(app);
  await app.init();
  return app;
}

/** Serves `app` over HTTP on a free port of 127.0.0.1; returns its base URL. */
export async function listenLocally(app: NestExpressApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return (await app.getUrl()).replace('[::1]', '127.0.0.1');
}

/** Registers an `afterEach` that closes the apps handed to the returned function, even when the test failed. */
export function closeAfterEach(): <App extends INestApplication>(app: App) => App {
  const started: INestApplication[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((app) => app.close()));
  });
  return (app) => {
    started.push(app);
    return app;
  };
}
