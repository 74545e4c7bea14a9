import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import pg from 'pg';
import * as Y from 'yjs';
import type { StorageProvider } from '../../src/index.js';
import { HINT_INTERVAL_MS } from '../../src/storage/changes/change-hints.js';
import { YjsStorageExtension } from '../../src/yjs/index.js';
import { recordChanges } from '../conformance/change-recorder.js';
import { makeDelta } from '../conformance/conformance-helpers.js';
import { eventually, sleep } from '../fixtures/eventually.js';
import { createTestDatabase, uniqueName, type TestDatabase } from '../support/postgres.js';
import { listeningSessions, runSql } from '../support/sql.js';

let database: TestDatabase;
let schema: string;
let writerSide: StorageProvider;
let serverSide: StorageProvider;

beforeAll(async () => {
  database = await createTestDatabase();
  schema = uniqueName('hints');
  writerSide = await database.createProvider({ schema });
  serverSide = await database.createProvider({ schema, migrate: false });
});

afterAll(async () => {
  await database.drop();
});

/** Notifications any role allowed to connect could send on the storage channel: none is a hint. */
const BAD_PAYLOADS = [
  'not json',
  'null',
  '[]',
  '"text"',
  // The version 2 shape with ids as a string: `deltaIds.every` on it used to crash every Yjs server.
  '{"d":"doc","k":"deltas","o":"forger","i":"str"}',
  '{"o":"forger","d":"doc"}',
  '{"o":"forger","d":[1, 2]}',
  '{"o":"forger","d":[""]}',
  `{"o":"forger","d":["${'x'.repeat(300)}"]}`,
  '{"o":"forger","a":[["doc"]]}',
  '{"o":"forger","a":[["doc", "client\\u0000"]]}',
  '{"o":42,"d":["doc"]}',
  'secret-looking payload 1234',
];

async function notify(payload: string): Promise<void> {
  await runSql(database.url, 'select pg_notify($1, $2)', [`sync_storage:${schema}`, payload]);
}

describe('notifications on the storage channel that are not hints', () => {
  it("are ignored and reported without their content, and the Yjs extension keeps applying other servers' updates", async () => {
    const warnings: string[] = [];
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      warnings.push(String(message));
    });
    const extension = new YjsStorageExtension({ storage: serverSide });
    const writer = new YjsStorageExtension({ storage: writerSide });
    try {
      await extension.onConfigure();
      const served = new Y.Doc();
      await extension.onLoadDocument({ documentName: 'doc', document: served });
      await extension.afterLoadDocument({ documentName: 'doc' });
      const feed = recordChanges(serverSide, 'doc', { keepResync: true });
      await eventually(async () => (await listeningSessions(database.url)) === 1, 'the server side listens');

      for (const payload of BAD_PAYLOADS) await notify(payload);
      // A well-formed hint from no instance: the feed reads the log, finds nothing, publishes nothing.
      await notify('{"o":"forger","d":["doc"],"a":[["doc","ghost"]]}');
      await sleep(200);

      const edited = new Y.Doc();
      await writer.onLoadDocument({ documentName: 'doc', document: edited });
      await writer.afterLoadDocument({ documentName: 'doc' });
      edited.getText('t').insert(0, 'written elsewhere');
      await eventually(() => served.getText('t').toString() === 'written elsewhere', 'the update reaches the server');

      expect(feed.changes.filter((change) => change.kind !== 'awareness')).toEqual([
        { documentId: 'doc', kind: 'deltas', deltaIds: [expect.any(String)], version: 1, source: 'remote' },
      ]);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/ignored \d+ malformed notification/);
      for (const payload of BAD_PAYLOADS) expect(warnings[0]).not.toContain(payload);
      expect(warnings[0]).not.toContain('secret');
      feed.stop();
    } finally {
      warn.mockRestore();
      await writer.close();
      await extension.close();
    }
  });

  it('a forged hint naming a document with a version never invents, repeats or skips a change', async () => {
    const feed = recordChanges(serverSide, 'forged', { keepResync: true });
    await serverSide.awareness.set('forged', 'marker', 1, 1);
    await feed.until((changes) => changes.some((change) => change.clientId === 'marker'));
    await writerSide.documents.addDelta('forged', makeDelta('f1', 'f', 1));
    for (let i = 0; i < 5; i++) await notify('{"o":"forger","d":["forged"]}');
    await writerSide.documents.addDelta('forged', makeDelta('f2', 'f', 2));
    const changes = await feed.until((all) => all.some((change) => change.deltaIds?.includes('f2')));
    expect(changes.filter((change) => change.kind !== 'awareness')).toEqual([
      { documentId: 'forged', kind: 'deltas', deltaIds: ['f1'], version: 1, source: 'remote' },
      { documentId: 'forged', kind: 'deltas', deltaIds: ['f2'], version: 2, source: 'remote' },
    ]);
    feed.stop();
  });
});

describe('the hints of a busy instance', () => {
  it('go at most once per interval, each naming every document written since the one before', async () => {
    const channel = `sync_storage:${schema}`;
    const listener = new pg.Client({ connectionString: database.url });
    await listener.connect();
    const hinted: string[][] = [];
    listener.on('notification', ({ channel: heardOn, payload }) => {
      const hint = JSON.parse(payload!) as { o: string; d?: string[] };
      if (heardOn === channel && hint.o !== 'forger') hinted.push(hint.d ?? []);
    });
    await listener.query(`listen "${channel}"`);
    try {
      const written = Array.from({ length: 20 }, (_, n) => `busy-${n}`);
      const started = performance.now();
      for (let n = 1; n <= 300; n++) await writerSide.documents.addDelta(written[n % 20]!, makeDelta(`b${n}`, 'b', n));
      await eventually(
        () => written.every((id) => hinted.some((documents) => documents.includes(id))),
        'every document hinted',
      );
      const elapsedMs = performance.now() - started;
      // Timers may fire a millisecond early; slower machines send fewer hints, never more.
      expect(hinted.length).toBeLessThanOrEqual(2 + elapsedMs / (HINT_INTERVAL_MS - 1));
      expect(hinted.length).toBeGreaterThan(1);
      for (const documents of hinted) expect(new Set(documents).size).toBe(documents.length);
    } finally {
      await listener.end();
    }
  });
});
