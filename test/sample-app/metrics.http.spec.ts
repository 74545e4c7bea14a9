import { makeDelta } from '../conformance/conformance-helpers.js';
import { DRIVERS } from '../support/storage-targets.js';
import { httpApps } from './http-apps.js';
import { expectJsonError } from './http-client.js';
import { isChange, openEventStream } from './sse-client.js';

const delta = (id: string, counter: number) => makeDelta(id, 'ann', counter, { data: { id } });

/** One sample of a Prometheus text exposition: its metric name, labels and value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the sample lines of Prometheus's text format (`name{label="value",...} number`); comments are skipped. */
function parseExposition(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
      const labels = Object.fromEntries(
        [...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => [k!, v!]),
      );
      return { name: match[1]!, labels, value: Number(match[3]) };
    });
}

const apps = httpApps();

describe.each(DRIVERS)('GET /metrics of the sample app (%s driver)', (driver) => {
  const http = apps.forSuite(driver, { METRICS_ENABLED: 'true' });

  it("exports the storage's instruments in Prometheus text, with what the writes, reads and feed did", async () => {
    const stream = await openEventStream(`${http.baseUrl}/documents/watched/events`);
    try {
      const batch = { deltas: [delta('a1', 1), delta('a2', 2), delta('a3', 3)] };
      expect((await http.request('POST', '/documents/watched/deltas/batch', { json: batch })).status).toBe(200);
      expect((await http.request('POST', '/documents/watched/deltas', { json: delta('a4', 4) })).status).toBe(200);
      expect((await http.request('GET', '/documents/watched/deltas')).status).toBe(200);
      await stream.next((event) => isChange('deltas')(event) && event.data.includes('"a4"'), 'the second change');
    } finally {
      await stream.close();
    }

    const answer = await http.request('GET', '/metrics');
    expect(answer.status).toBe(200);
    expect(answer.type).toMatch(/^text\/plain/);
    const samples = parseExposition(answer.text);
    const find = (name: string, labels: Record<string, string> = {}) =>
      samples.filter(
        (sample) =>
          sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
      );
    const ofDriver = { sync_storage_driver: driver };

    const writes = find('sync_storage_operation_duration_count', {
      ...ofDriver,
      sync_storage_operation: 'addDeltas',
    });
    expect(writes.map((sample) => sample.value)).toEqual([2]);
    const [writeSeconds] = find('sync_storage_operation_duration_sum', {
      ...ofDriver,
      sync_storage_operation: 'addDeltas',
    });
    expect(writeSeconds!.value).toBeGreaterThan(0);
    expect(writeSeconds!.value).toBeLessThan(10);
    expect(
      find('sync_storage_document_deltas_since_snapshot', { ...ofDriver, sync_storage_document_id: 'watched' }),
    ).toMatchObject([{ value: 4 }]);
    // Four deltas of JSON data {"id":"aN"}: 11 characters each.
    expect(
      find('sync_storage_document_bytes_since_snapshot', { ...ofDriver, sync_storage_document_id: 'watched' }),
    ).toMatchObject([{ value: 44 }]);
    const delivered = find('sync_storage_feed_delivery_delay_count', {
      ...ofDriver,
      sync_storage_change_source: 'local',
    });
    expect(delivered.map((sample) => sample.value)).toEqual([2]);
    if (driver === 'postgres') {
      const [waits] = find('sync_storage_pool_wait_duration_count', ofDriver);
      // Every call of the storage asks the pool for a connection: at least the three above.
      expect(waits!.value).toBeGreaterThanOrEqual(3);
    }
  });
});

describe('GET /metrics of the sample app without METRICS_ENABLED', () => {
  const http = apps.forSuite('memory');

  it('answers 404 in JSON, naming the variable that turns it on', async () => {
    await http.request('POST', '/documents/quiet/deltas', { json: delta('q1', 1) });
    const body = expectJsonError(await http.request('GET', '/metrics'), 404);
    expect(body['message']).toMatch(/METRICS_ENABLED/);
  });
});
