import type { PostgresServer } from './postgres-server.js';

/** Stops the run's shared embedded PostgreSQL, if the global setup started one. */
export default async function finishTestRun(): Promise<void> {
  // The same registry symbol as SHARED_SERVER_GLOBAL (jest loads this hook without local imports).
  const key = Symbol.for('nest-sync-storage:test-postgres-server');
  const globals = globalThis as Record<symbol, unknown>;
  const server = globals[key] as PostgresServer | undefined;
  if (!server) return;
  delete globals[key];
  await server.destroy();
}
