import type { DynamicModule } from '@nestjs/common';
import { AppModule } from '../../sample/sync-app/src/app.module.js';
import { APP_VARIABLES } from '../../sample/sync-app/src/config/app.config.js';
import { configureApp } from '../../sample/sync-app/src/configure-app.js';
import { startNestApp, type NestAppOptions } from '../support/nest-app.js';

/**
 * The sample app's root module configured from `env` alone: no `.env`, and none of this machine's
 * variables. The environment is validated while this runs, so `process.env` is restored right after.
 */
export async function sampleAppModule(env: Record<string, string> = {}): Promise<DynamicModule> {
  const saved = Object.fromEntries(APP_VARIABLES.map((name) => [name, process.env[name]]));
  for (const name of APP_VARIABLES) delete process.env[name];
  Object.assign(process.env, env);
  try {
    return await AppModule.forRoot({ readEnvFile: false });
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/** The sample app in this process, configured as its `main.ts` does (body limits, OpenAPI at /docs). */
export function startSampleAppInProcess(env: Record<string, string> = {}, options: NestAppOptions = {}) {
  return startNestApp(sampleAppModule(env), { configure: configureApp, ...options });
}
