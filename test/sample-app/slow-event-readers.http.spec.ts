import { connect } from 'node:net';
import { eventually } from '../fixtures/eventually.js';
import { startHttpApp, type HttpApp } from './http-client.js';
import { isChange, openEventStream } from './sse-client.js';

/**
 * An event-stream request on a raw socket that reads nothing until `resume`: a client that stopped reading.
 * (Node's HTTP client reads ahead; a paused raw socket leaves the bytes in the kernel, as a stalled browser does.)
 */
function stalledReader(baseUrl: string, path: string): { abort(): void; resume(): Promise<string> } {
  const { hostname, port } = new URL(baseUrl);
  const socket = connect(Number(port), hostname);
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\nAccept: text/event-stream\r\n\r\n`);
  socket.pause();
  return {
    abort: () => socket.destroy(),
    resume: () =>
      new Promise<string>((resolve, reject) => {
        const chunks: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        socket.once('error', reject);
        socket.once('close', () => resolve(dechunk(Buffer.concat(chunks))));
        socket.resume();
      }),
  };
}

/** The body of a chunked HTTP/1.1 response, as text. */
function dechunk(response: Buffer): string {
  let at = response.indexOf('\r\n\r\n') + 4;
  const body: Buffer[] = [];
  while (at < response.length) {
    const lineEnd = response.indexOf('\r\n', at);
    const size = parseInt(response.subarray(at, lineEnd).toString('latin1'), 16);
    if (!(size > 0)) break;
    body.push(response.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(body).toString('utf8');
}

/** A batch of `size` deltas whose ids are long: its change event carries every id (about 250 bytes each). */
const batch = (round: number, size: number) =>
  Array.from({ length: size }, (_, i) => {
    const counter = round * size + i + 1;
    return {
      id: `${'x'.repeat(240)}-${counter}`,
      clientId: 'ann',
      timestamp: counter,
      data: null,
      vectorClock: { ann: counter },
    };
  });

describe('event streams of clients that read slower than the document changes (memory driver)', () => {
  let http: HttpApp;
  const BOUND = 1024 * 1024;

  beforeAll(async () => {
    http = await startHttpApp({ EVENTS_MAX_BUFFERED_BYTES: String(BOUND) });
  });

  afterAll(() => http.close());

  it('closes a stream that stops reading with a last resync event, while a stream that reads gets every change', async () => {
    const reading = await openEventStream(`${http.baseUrl}/documents/flood/events`);
    const stalled = stalledReader(http.baseUrl, '/documents/flood/events');
    try {
      // 64 changes of about 250 KB: far more than the socket buffers and the bound hold.
      const ROUNDS = 64;
      for (let round = 0; round < ROUNDS; round++) {
        const answer = await http.request('POST', '/documents/flood/deltas/batch', {
          json: { deltas: batch(round, 1000) },
        });
        expect(answer.status).toBe(200);
      }
      await eventually(
        () => reading.events.filter(isChange('deltas')).length === ROUNDS,
        'every change reaches the reader',
        30_000,
      );
      expect(JSON.parse(reading.events.at(-1)!.data)).toMatchObject({ kind: 'deltas', deltaIds: expect.any(Array) });

      const received = await stalled.resume();
      const blocks = received.split('\n\n').filter((block) => block.includes('event: '));
      expect(blocks.at(-1)).toBe(
        'event: resync\ndata: {"documentId":"flood","kind":"resync","reason":"slow-consumer"}',
      );
      const changes = blocks.filter((block) => block.startsWith('event: change') || block.includes('\nevent: change'));
      expect(changes.length).toBeGreaterThan(0);
      expect(changes.length).toBeLessThan(ROUNDS);
    } finally {
      stalled.abort();
      await reading.close();
    }
  }, 60_000);

  it('sends a change too large for a quarter of the bound without its ids, marked deltaIdsOmitted', async () => {
    const reading = await openEventStream(`${http.baseUrl}/documents/huge/events`);
    try {
      const answer = await http.request('POST', '/documents/huge/deltas/batch', { json: { deltas: batch(0, 2000) } });
      expect(answer.status).toBe(200);
      const event = await reading.next(isChange('deltas'), 'the change of the large batch');
      const change = JSON.parse(event.data) as Record<string, unknown>;
      expect(change).toMatchObject({ documentId: 'huge', kind: 'deltas', deltaIdsOmitted: true });
      expect(change).not.toHaveProperty('deltaIds');
    } finally {
      await reading.close();
    }
  });
});
