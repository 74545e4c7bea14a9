import { DRIVERS } from '../support/storage-targets.js';
import { httpApps } from './http-apps.js';
import { expectJsonError } from './http-client.js';

const apps = httpApps();

const delta = (id: string, clientId: string, counter: number) => ({
  id,
  clientId,
  timestamp: counter,
  data: { id },
  vectorClock: { [clientId]: counter },
});

interface VersionPage {
  version: number;
  snapshot: { data: string; vectorClock: Record<string, number> } | null;
  deltas: { id: string }[];
  vectorClock: Record<string, number>;
  next: string | null;
}

describe.each(DRIVERS)('version history over HTTP (%s driver)', (driver) => {
  const http = apps.forSuite(driver, { HISTORY_RETENTION_MS: '3600000' });

  /** Version 1: five deltas; version 2: a snapshot of them; version 3: compaction; version 4: one more delta. */
  async function writeHistory(documentId: string): Promise<void> {
    const deltas = Array.from({ length: 5 }, (_, i) => delta(`${documentId}-${i}`, 'ann', i + 1));
    expect((await http.request('POST', `/documents/${documentId}/deltas/batch`, { json: { deltas } })).status).toBe(
      200,
    );
    const snapshot = await http.request('PUT', `/documents/${documentId}/snapshot`, {
      body: Buffer.from([1, 2, 3]),
      headers: { 'content-type': 'application/octet-stream', 'x-vector-clock': JSON.stringify({ ann: 5 }) },
    });
    expect(snapshot.status).toBe(204);
    const compacted = await http.request('POST', `/documents/${documentId}/compact`, { json: { upTo: { ann: 5 } } });
    expect(compacted.body).toEqual({ deleted: 5 });
    await http.request('POST', `/documents/${documentId}/deltas`, { json: delta(`${documentId}-late`, 'bob', 1) });
  }

  it('lists the versions, oldest first and paged, with kind, time and authors', async () => {
    await writeHistory('listed');
    const first = await http.request('GET', '/documents/listed/versions?limit=2');
    expect(first.status).toBe(200);
    const page = first.body as unknown as {
      versions: { version: number; kind: string; clientIds: string[] }[];
      next: string;
    };
    expect(page.versions.map((each) => [each.version, each.kind, each.clientIds])).toEqual([
      [1, 'deltas', ['ann']],
      [2, 'snapshot', []],
    ]);
    const rest = await http.request('GET', `/documents/listed/versions?after=${encodeURIComponent(page.next)}`);
    expect((rest.body as { versions: { kind: string }[] }).versions.map((each) => each.kind)).toEqual([
      'compacted',
      'deltas',
    ]);
    expectJsonError(await http.request('GET', '/documents/nobody/versions'), 404);
  });

  it('answers a version compaction removed, paged like catch-up, with its clock; 404 for one never written', async () => {
    await writeHistory('old');
    const pages: VersionPage[] = [];
    let after = '';
    for (let guard = 0; guard < 10; guard++) {
      const answer = await http.request('GET', `/documents/old/versions/1?limit=2${after}`);
      expect(answer.status).toBe(200);
      pages.push(answer.body as unknown as VersionPage);
      const next = pages[pages.length - 1]!.next;
      if (next === null) break;
      after = `&after=${next}`;
    }
    expect(pages.map((page) => page.deltas.map((each) => each.id))).toEqual([
      ['old-0', 'old-1'],
      ['old-2', 'old-3'],
      ['old-4'],
    ]);
    expect(pages.every((page) => page.version === 1 && page.snapshot === null)).toBe(true);
    expect(pages[0]!.vectorClock).toEqual({ ann: 5 });
    const latest = (await http.request('GET', '/documents/old/versions/4')).body as unknown as VersionPage;
    expect({ snapshot: latest.snapshot?.data, ids: latest.deltas.map((each) => each.id) }).toEqual({
      snapshot: Buffer.from([1, 2, 3]).toString('base64'),
      ids: ['old-late'],
    });
    expectJsonError(await http.request('GET', '/documents/old/versions/5'), 404);
    expect(expectJsonError(await http.request('GET', '/documents/old/versions/zero'), 400).argument).toBe('version');
    expect(expectJsonError(await http.request('GET', '/documents/old/versions/1?after=99'), 400).argument).toBe(
      'after',
    );
  });

  it('forks a version into a new document that goes its own way; a taken target is a 400', async () => {
    await writeHistory('source');
    const fork = await http.request('POST', '/documents/source/fork', { json: { targetId: 'copy', version: 1 } });
    expect(fork.status).toBe(201);
    expect(fork.body).toMatchObject({ id: 'copy', vectorClock: { ann: 5 } });
    const copied = (await http.request('GET', '/documents/copy/changes')).body as unknown as VersionPage;
    expect(copied.deltas.map((each) => each.id)).toEqual(['source-0', 'source-1', 'source-2', 'source-3', 'source-4']);
    await http.request('POST', '/documents/copy/deltas', { json: delta('only-in-copy', 'cat', 1) });
    const source = (await http.request('GET', '/documents/source/changes')).body as unknown as VersionPage;
    expect(source.deltas.map((each) => each.id)).not.toContain('only-in-copy');
    const taken = await http.request('POST', '/documents/source/fork', { json: { targetId: 'copy', version: 1 } });
    expect(expectJsonError(taken, 400).argument).toBe('targetId');
    const neither = await http.request('POST', '/documents/source/fork', { json: { targetId: 'other' } });
    expect(expectJsonError(neither, 400).argument).toBe('body');
  });

  it('DELETE with erase=true removes the document and its history: its versions are gone', async () => {
    await writeHistory('gone');
    expect((await http.request('DELETE', '/documents/gone?erase=true')).status).toBe(204);
    expectJsonError(await http.request('GET', '/documents/gone/versions'), 404);
    expectJsonError(await http.request('GET', '/documents/gone/versions/1'), 404);
    expectJsonError(await http.request('DELETE', '/documents/gone?erase=true'), 404);
    expect(expectJsonError(await http.request('DELETE', '/documents/gone?erase=yes'), 400).argument).toBe('erase');
  });

  it('describes the history routes in the OpenAPI document', async () => {
    const answer = await http.request('GET', '/docs-json');
    const paths = Object.keys((answer.body as { paths: Record<string, unknown> }).paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/documents/{documentId}/versions',
        '/documents/{documentId}/versions/{version}',
        '/documents/{documentId}/fork',
      ]),
    );
  });
});
