import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StorageUnavailableError, type StorageModuleOptions, type StorageProvider } from '../../src/index.js';
import { resolveStorageOptions } from '../../src/storage/contract/options.js';
import { PostgresStorageProvider } from '../../src/storage/postgres/postgres-storage.provider.js';
import { recordChanges } from '../conformance/change-recorder.js';
import { makeDelta } from '../conformance/conformance-helpers.js';
import { startPostgresServer, uniqueName, type PostgresServer } from '../support/postgres-server.js';
import { runSql, STORAGE_APPLICATION } from '../support/sql.js';

/** The host name in the test certificate: the server is reached as 127.0.0.1, so verify-full must refuse it. */
const CERTIFICATE_HOST = 'db.example';

let folder: string;
let certificate: { cert: string; key: string; file: string };
let withTls: PostgresServer;
let withoutTls: PostgresServer;
const providers: StorageProvider[] = [];

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'sync-storage-tls-'));
  const key = join(folder, 'server.key');
  const cert = join(folder, 'server.crt');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-keyout',
      key,
      '-out',
      cert,
      '-subj',
      `/CN=${CERTIFICATE_HOST}`,
      '-addext',
      `subjectAltName=DNS:${CERTIFICATE_HOST}`,
    ],
    { stdio: 'ignore' },
  );
  certificate = { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8'), file: join(folder, 'root.crt') };
  writeFileSync(certificate.file, certificate.cert);
  [withTls, withoutTls] = await Promise.all([
    startPostgresServer({ tls: { cert: certificate.cert, key: certificate.key } }),
    startPostgresServer(),
  ]);
});

afterAll(async () => {
  await Promise.all(providers.map((provider) => provider.close()));
  await Promise.all([withTls?.destroy(), withoutTls?.destroy()]);
  rmSync(folder, { recursive: true, force: true });
});

/** A provider on `server`, with `query` appended to its URL and `options` beside it. */
async function connect(
  server: PostgresServer,
  query: string,
  options: Partial<StorageModuleOptions> = {},
): Promise<StorageProvider> {
  const provider = new PostgresStorageProvider(
    resolveStorageOptions({
      driver: 'postgres',
      clientUrl: `${server.url()}${query}`,
      schema: uniqueName('tls'),
      ...options,
    }),
  );
  providers.push(provider);
  await provider.initialize();
  return provider;
}

/** Whether each connection of the driver (pool and feed alike) uses TLS, from the server's own view. */
async function driverConnectionsUseTls(server: PostgresServer): Promise<boolean[]> {
  const rows = await runSql<{ ssl: boolean }>(
    server.url(),
    `select s.ssl from pg_stat_ssl as s join pg_stat_activity as a using (pid) where a.application_name = $1`,
    [STORAGE_APPLICATION],
  );
  return rows.map((row) => row.ssl);
}

const refusal = (attempt: Promise<unknown>): Promise<unknown> =>
  attempt.then(
    () => 'connected',
    (error: unknown) => error,
  );

describe('TLS to PostgreSQL', () => {
  afterEach(async () => {
    await Promise.all(providers.splice(0).map((provider) => provider.close()));
  });

  it('sslmode=verify-ca with the server certificate as sslrootcert connects over TLS', async () => {
    const provider = await connect(withTls, `?sslmode=verify-ca&sslrootcert=${encodeURIComponent(certificate.file)}`);
    expect(await provider.documents.addDelta('doc', makeDelta('d1', 'a', 1))).toBe(true);
    expect(await driverConnectionsUseTls(withTls)).toEqual(expect.arrayContaining([true]));
    expect(await driverConnectionsUseTls(withTls)).not.toContain(false);
  });

  it('sslmode=verify-full refuses a certificate for another host name, and fails start-up saying so', async () => {
    const error = await refusal(
      connect(withTls, `?sslmode=verify-full&sslrootcert=${encodeURIComponent(certificate.file)}`),
    );
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect((error as Error).message).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('verify-full without a root certificate refuses a self-signed certificate', async () => {
    const error = await refusal(connect(withTls, '?sslmode=verify-full'));
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect((error as Error).message).toMatch(/TLS certificate was rejected/);
  });

  it('the ssl option verifies the full chain with a given CA and server name', async () => {
    const provider = await connect(withTls, '', { ssl: { ca: certificate.cert, servername: CERTIFICATE_HOST } });
    expect(await provider.documents.addDelta('doc', makeDelta('d1', 'a', 1))).toBe(true);
    expect(await driverConnectionsUseTls(withTls)).not.toContain(false);
  });

  it('sslmode=require uses TLS without checking the certificate, and so does the change feed connection', async () => {
    const provider = await connect(withTls, '?sslmode=require');
    const feed = recordChanges(provider, 'doc');
    await provider.documents.addDelta('doc', makeDelta('d1', 'a', 1));
    await feed.received(1);
    const connections = await driverConnectionsUseTls(withTls);
    expect(connections.length).toBeGreaterThanOrEqual(2);
    expect(connections).not.toContain(false);
    feed.stop();
  });

  it.each(['require', 'verify-ca', 'verify-full'])(
    'sslmode=%s never falls back to plaintext when the server has no TLS',
    async (mode) => {
      const error = await refusal(connect(withoutTls, `?sslmode=${mode}`));
      expect(error).toBeInstanceOf(StorageUnavailableError);
      expect((error as Error).message).toContain('the server does not offer TLS');
      expect(await driverConnectionsUseTls(withoutTls)).toEqual([]);
    },
  );

  it('sslmode=prefer uses TLS where the server offers it and plaintext where it does not', async () => {
    await connect(withTls, '?sslmode=prefer');
    expect(await driverConnectionsUseTls(withTls)).not.toContain(false);
    await connect(withoutTls, '?sslmode=prefer');
    expect(await driverConnectionsUseTls(withoutTls)).toEqual(expect.arrayContaining([false]));
  });

  it('sslmode=disable connects in plaintext even to a server that offers TLS', async () => {
    await connect(withTls, '?sslmode=disable');
    expect(await driverConnectionsUseTls(withTls)).toEqual(expect.arrayContaining([false]));
    expect(await driverConnectionsUseTls(withTls)).not.toContain(true);
  });
});
