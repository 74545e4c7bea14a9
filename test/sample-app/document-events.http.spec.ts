import { eventually, sleep } from '../fixtures/eventually.js';
import { DRIVERS } from '../support/storage-targets.js';
import { httpApps } from './http-apps.js';
import { expectJsonError, startHttpApp } from './http-client.js';
import { isChange, openEventStream, type EventStream } from './sse-client.js';

const delta = (id: string, counter: number) => ({
  id,
  clientId: 'ann',
  timestamp: counter,
  data: { id },
  vectorClock: { ann: counter },
});

const apps = httpApps();

describe.each(DRIVERS)('GET /documents/:id/events in one app (%s driver)', (driver) => {
  const http = apps.forSuite(driver);
  const streams: EventStream[] = [];
  const open = async (documentId: string) => {
    const stream = await openEventStream(`${http.baseUrl}/documents/${documentId}/events`);
    streams.push(stream);
    return stream;
  };

  afterEach(async () => {
    await Promise.all(streams.splice(0).map((stream) => stream.close()));
  });

  it("sends a delta written through HTTP to the document's event stream as a change event", async () => {
    const stream = await open('live');
    expect(
      (
        await http.request('POST', '/documents/live/deltas/batch', {
          json: { deltas: [delta('l1', 1), delta('l2', 2)] },
        })
      ).status,
    ).toBe(200);
    const event = await stream.next(isChange('deltas'), 'the deltas change');
    expect(JSON.parse(event.data)).toEqual({
      documentId: 'live',
      kind: 'deltas',
      deltaIds: ['l1', 'l2'],
      version: 1,
      source: 'local',
    });
  });

  it('sends presence, snapshots, compaction and deletion too, and nothing of other documents', async () => {
    const stream = await open('watched');
    await http.request('POST', '/documents/elsewhere/deltas', { json: delta('e1', 1) });
    await http.request('POST', '/documents/watched/deltas', { json: delta('w1', 1) });
    await http.request('PUT', '/documents/watched/awareness/bob', { json: { state: {}, clock: 1 } });
    await http.request('PUT', '/documents/watched/snapshot', {
      body: new Uint8Array([1]),
      headers: { 'content-type': 'application/octet-stream', 'x-vector-clock': '{"ann":1}' },
    });
    expect((await http.request('POST', '/documents/watched/compact', { json: { upTo: { ann: 1 } } })).body).toEqual({
      deleted: 1,
    });
    await http.request('DELETE', '/documents/watched');
    await stream.next(isChange('deleted'), 'the deletion');
    const changes = stream.events.map((event) => JSON.parse(event.data) as { kind: string });
    // Nothing was missed: no resync, on either driver.
    expect(changes).toEqual([
      { documentId: 'watched', kind: 'deltas', deltaIds: ['w1'], version: 1, source: 'local' },
      { documentId: 'watched', kind: 'awareness', clientId: 'bob', source: 'local' },
      { documentId: 'watched', kind: 'snapshot', version: 2, source: 'local' },
      { documentId: 'watched', kind: 'compacted', version: 3, source: 'local' },
      { documentId: 'watched', kind: 'deleted', version: 4, source: 'local' },
    ]);
  });

  it('answers a bad document id with 400 and a JSON error instead of a stream', async () => {
    expectJsonError(await http.request('GET', `/documents/${'x'.repeat(256)}/events`), 400);
  });

  it('sends a change committed right after the stream opened, with its version as the event id', async () => {
    const stream = await open('opened');
    // No waiting: the stream starts after the version read before its headers went out.
    expect((await http.request('POST', '/documents/opened/deltas', { json: delta('o1', 1) })).status).toBe(200);
    const event = await stream.next(isChange('deltas'), 'the change written right after opening');
    expect({ id: event.id, change: JSON.parse(event.data) }).toEqual({
      id: '1',
      change: { documentId: 'opened', kind: 'deltas', deltaIds: ['o1'], version: 1, source: 'local' },
    });
  });

  it('resumes after Last-Event-ID, as EventSource reconnects: what came since, or a resync where it is not kept', async () => {
    for (const counter of [1, 2, 3])
      await http.request('POST', '/documents/resumed/deltas', { json: delta(`r${counter}`, counter) });
    const stream = await openEventStream(`${http.baseUrl}/documents/resumed/events`, { 'last-event-id': '1' });
    streams.push(stream);
    await http.request('POST', '/documents/resumed/deltas', { json: delta('r4', 4) });
    await stream.next((event) => event.id === '4', 'the change written after reconnecting');
    const received = stream.events.map((event) => ({ id: event.id, ...JSON.parse(event.data) }));
    // The postgres driver reads versions 2 and 3 from its change log; the memory driver keeps none.
    const missed =
      driver === 'postgres'
        ? [2, 3].map((version) => ({ id: `${version}`, version, deltaIds: [`r${version}`], kind: 'deltas' }))
        : [{ id: undefined, kind: 'resync' }];
    expect(received).toMatchObject([...missed, { id: '4', version: 4, deltaIds: ['r4'], kind: 'deltas' }]);
  });

  it('answers a Last-Event-ID or afterVersion that is not a version with 400 and a JSON error', async () => {
    const body = expectJsonError(
      await http.request('GET', '/documents/doc/events', { headers: { 'last-event-id': 'abc' } }),
      400,
    );
    expect(body.message).toMatch(/Last-Event-ID/);
    for (const bad of ['-1', '1.5', '99999999999999999'])
      expect(
        expectJsonError(await http.request('GET', `/documents/doc/events?afterVersion=${bad}`), 400).message,
      ).toMatch(/afterVersion/);
  });
});

describe('event streams of the sync app over time', () => {
  it('sends a heartbeat comment every EVENTS_HEARTBEAT_MS while nothing changes', async () => {
    const http = await startHttpApp({ EVENTS_HEARTBEAT_MS: '50' });
    const stream = await openEventStream(`${http.baseUrl}/documents/quiet/events`);
    try {
      await sleep(400);
      expect(stream.events).toEqual([]);
      expect(stream.comments.length).toBeGreaterThanOrEqual(3);
      expect(new Set(stream.comments)).toEqual(new Set(['heartbeat']));
    } finally {
      await stream.close();
      await http.close();
    }
  });

  it('ends open streams when the app shuts down, instead of holding the shutdown for them', async () => {
    const http = await startHttpApp();
    const stream = await openEventStream(`${http.baseUrl}/documents/closing/events`);
    const started = performance.now();
    await http.close();
    // The end reaches the client right after the server closes (the app writes the stream itself).
    await eventually(() => stream.ended, 'the client sees the stream end', 1_000);
    // An ended stream's idle connection would otherwise hold the server open for its keep-alive timeout (5 s).
    expect(performance.now() - started).toBeLessThan(2_500);
    await stream.close();
  });
});
