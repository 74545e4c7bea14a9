import type { StoredDelta } from '../index.js';
import {
  expectRejectedEverywhere,
  expectValidationError,
  type BadInputSite,
  type LabelledValues,
} from './bad-input.js';
import type { ConformanceContextGetter } from './conformance-context.js';
import { bytesOf, makeDelta, storeClock } from './conformance-helpers.js';
import { describe, expect, it } from './runner.js';

class Point {
  x = 1;
}
const cyclicObject: Record<string, unknown> = { a: 1 };
cyclicObject.self = { back: cyclicObject };
const cyclicArray: unknown[] = [1];
cyclicArray.push([cyclicArray]);

/** Everything the contract calls "not JSON", at the top and nested. */
const NOT_JSON: LabelledValues = [
  ['undefined', undefined],
  ['a function', () => 1],
  ['a symbol', Symbol('s')],
  ['a bigint', 1n],
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
  ['an object with a cycle', cyclicObject],
  ['an array with a cycle', cyclicArray],
  ['a Date', new Date(0)],
  ['a Map', new Map([['a', 1]])],
  ['a Set', new Set([1])],
  ['a class instance', new Point()],
  ['a Uint8Array nested in an object', { bytes: new Uint8Array([1]) }],
  ['a Buffer nested in an array', [Buffer.from([1])]],
  ['a boxed string', new String('x')],
  ['a function nested in an object', { a: { b: () => 1 } }],
  ['NaN nested in an array', [1, [2, NaN]]],
  ['a Date nested in an array', [{ at: new Date(0) }]],
  ['a Map nested in an object', { m: new Map() }],
  ['a bigint nested in an array', { a: [2n] }],
  ['a symbol nested in an object', { s: Symbol('s') }],
  ['undefined nested in an array', [1, undefined]],
  ['an undefined property', { a: 1, b: undefined }],
  ['a class instance nested deep', { a: [{ b: [new Point()] }] }],
];

const withData = (data: unknown): StoredDelta => ({ ...makeDelta('fresh', 'a', 5), data }) as StoredDelta;

const JSON_SITES: BadInputSite[] = [
  { name: 'documents.addDelta', argument: 'delta.data', call: (p, v) => p.documents.addDelta('doc', withData(v)) },
  {
    name: 'documents.addDeltas',
    argument: 'deltas[1].data',
    call: (p, v) => p.documents.addDeltas('doc', [makeDelta('first', 'c', 1), withData(v)]),
  },
  { name: 'awareness.set', argument: 'state', call: (p, v) => p.awareness.set('doc', 'a', v, 9) },
];

const NOT_DELTAS: LabelledValues = [
  ['null', null],
  ['undefined', undefined],
  ['a string', 'delta'],
  ['an array', [makeDelta('x', 'a', 9)]],
  ['a class instance', new Point()],
];

const NOT_BYTES: LabelledValues = [
  ['an array of numbers', [1, 2, 3]],
  ['a string', 'abc'],
  ['an ArrayBuffer', new ArrayBuffer(3)],
  ['a Uint16Array', new Uint16Array(3)],
  ['a DataView', new DataView(new ArrayBuffer(3))],
  ['an array-like object', { length: 1, 0: 7 }],
  ['null', null],
  ['undefined', undefined],
];

const DELTA_LIMIT = 400;
const SNAPSHOT_LIMIT = 16;

/** A string of 2-byte characters (and one 1-byte one when `bytes` is odd) that is `bytes` long in UTF-8. */
const utf8String = (bytes: number): string => '\u00e9'.repeat(Math.floor(bytes / 2)) + 'x'.repeat(bytes % 2);

/** A delta of `a` whose JSON is exactly `bytes` long in UTF-8; as UTF-16 units it is far shorter. */
function deltaOfBytes(id: string, bytes: number, counter = 1): StoredDelta {
  const base = Buffer.byteLength(JSON.stringify(makeDelta(id, 'a', counter, { data: '' })));
  const delta = makeDelta(id, 'a', counter, { data: utf8String(bytes - base) });
  expect(Buffer.byteLength(JSON.stringify(delta))).toBe(bytes);
  return delta;
}

export function badPayloadCases(context: ConformanceContextGetter): void {
  describe('bad input: payloads and sizes', () => {
    it.each(JSON_SITES)('$name rejects every $argument that is not JSON and writes nothing', async (site) => {
      await expectRejectedEverywhere(context().provider, [site], NOT_JSON);
    });

    it("an error about bad data names the depth, never the data's keys or values", async () => {
      const { documents, awareness } = context();
      const data = { 'private-key-name': { 'another-private-key': [1, 'private-value', () => 1] } };
      const errors = [
        await documents.addDelta('doc', makeDelta('d1', 'a', 1, { data: data as never })).catch((e: unknown) => e),
        await awareness.set('doc', 'a', data as never, 1).catch((e: unknown) => e),
      ] as Error[];
      for (const error of errors) {
        expect(error.name).toBe('StorageValidationError');
        expect(error.message).toContain('depth 3');
        expect(error.message).not.toMatch(/private/);
      }
    });

    it('a delta without a data field is rejected', async () => {
      const { documents } = context();
      const { data: _omitted, ...withoutData } = makeDelta('d1', 'a', 1);
      await expectValidationError(() => documents.addDelta('doc', withoutData as StoredDelta), 'delta.data');
      expect(await documents.exists('doc')).toBe(false);
    });

    it('addDeltas rejects a batch that is not an array', async () => {
      const site: BadInputSite = {
        name: 'documents.addDeltas',
        argument: 'deltas',
        call: (p, v) => p.documents.addDeltas('doc', v),
      };
      await expectRejectedEverywhere(
        context().provider,
        [site],
        [
          ['one delta', makeDelta('x', 'a', 9)],
          ['null', null],
          ['a string', 'x'],
        ],
      );
    });

    it('addDelta and addDeltas reject anything that is not a delta object', async () => {
      await expectRejectedEverywhere(
        context().provider,
        [
          { name: 'documents.addDelta', argument: 'delta', call: (p, v) => p.documents.addDelta('doc', v) },
          {
            name: 'documents.addDeltas',
            argument: 'deltas[1]',
            call: (p, v) => p.documents.addDeltas('doc', [makeDelta('first', 'c', 1), v]),
          },
        ],
        NOT_DELTAS,
      );
    });

    it('saveSnapshot rejects snapshot data that is not a Uint8Array and writes nothing', async () => {
      const site: BadInputSite = {
        name: 'documents.saveSnapshot',
        argument: 'data',
        call: (p, v) => p.documents.saveSnapshot('doc', v, { a: 5 }),
      };
      await expectRejectedEverywhere(context().provider, [site], NOT_BYTES);
    });

    it('a delta whose JSON is exactly maxDeltaBytes in UTF-8 is stored, and one byte more is rejected', async () => {
      await context().withProvider({ maxDeltaBytes: DELTA_LIMIT }, async (provider) => {
        const { documents } = provider;
        await expectRejectedEverywhere(
          provider,
          [
            { name: 'documents.addDelta', argument: 'delta', call: (p, v) => p.documents.addDelta('doc', v) },
            {
              name: 'documents.addDeltas',
              argument: 'deltas[1]',
              call: (p, v) => p.documents.addDeltas('doc', [makeDelta('first', 'c', 1), v]),
            },
          ],
          [['a delta one byte over the limit', deltaOfBytes('big', DELTA_LIMIT + 1)]],
        );
        expect(await documents.addDelta('new', deltaOfBytes('at-limit', DELTA_LIMIT))).toBe(true);
        // The limit is per delta, not per batch.
        expect(
          await documents.addDeltas('new', [deltaOfBytes('x1', DELTA_LIMIT, 2), deltaOfBytes('x2', DELTA_LIMIT, 3)]),
        ).toBe(2);
        expect((await documents.getDeltasSince('new')).map((delta) => delta.data)).toEqual(
          (['at-limit', 'x1', 'x2'] as const).map((id, i) => deltaOfBytes(id, DELTA_LIMIT, i + 1).data),
        );
      });
    });

    it('an awareness state whose JSON is exactly maxAwarenessBytes is stored, and one byte more is rejected', async () => {
      await context().withProvider({ maxAwarenessBytes: DELTA_LIMIT }, async (provider) => {
        const site: BadInputSite = {
          name: 'awareness.set',
          argument: 'state',
          call: (p, v) => p.awareness.set('doc', 'a', v, 9),
        };
        await expectRejectedEverywhere(provider, [site], [['a state one byte over', utf8String(DELTA_LIMIT - 2 + 1)]]);
        expect(await provider.awareness.set('new', 'a', utf8String(DELTA_LIMIT - 2), 1)).toBe(true);
        expect((await provider.awareness.get('new', 'a'))!.state).toBe(utf8String(DELTA_LIMIT - 2));
      });
    });

    it('a snapshot of exactly maxSnapshotBytes is stored, and one byte more is rejected', async () => {
      await context().withProvider({ maxSnapshotBytes: SNAPSHOT_LIMIT }, async (provider) => {
        const site: BadInputSite = {
          name: 'documents.saveSnapshot',
          argument: 'data',
          call: (p, v) => p.documents.saveSnapshot('doc', v, { a: 5 }),
        };
        await expectRejectedEverywhere(
          provider,
          [site],
          [
            ['a Uint8Array one byte over', new Uint8Array(SNAPSHOT_LIMIT + 1)],
            ['a Buffer one byte over', Buffer.alloc(SNAPSHOT_LIMIT + 1)],
          ],
        );
        await storeClock(provider.documents, 'new', { a: 1 });
        await provider.documents.saveSnapshot('new', new Uint8Array(SNAPSHOT_LIMIT).fill(3), { a: 1 });
        expect(bytesOf((await provider.documents.getSnapshot('new'))!.data)).toEqual(new Array(SNAPSHOT_LIMIT).fill(3));
      });
    });

    it('an awareness state is not bytes: a Uint8Array state is rejected', async () => {
      const site: BadInputSite = {
        name: 'awareness.set',
        argument: 'state',
        call: (p, v) => p.awareness.set('doc', 'a', v, 9),
      };
      await expectRejectedEverywhere(context().provider, [site], [['a Uint8Array', new Uint8Array([1])]]);
    });

    it('by default a delta may be 1 MiB of JSON and a snapshot 64 MiB', async () => {
      const { documents } = context();
      const mebibyte = 1024 * 1024;
      await expectValidationError(() => documents.addDelta('doc', deltaOfBytes('big', mebibyte + 1)), 'delta');
      await expectValidationError(
        () => documents.saveSnapshot('doc', new Uint8Array(64 * mebibyte + 1), { a: 1 }),
        'data',
      );
      expect(await documents.exists('doc')).toBe(false);
      expect(await documents.addDelta('doc', deltaOfBytes('at-limit', mebibyte))).toBe(true);
    });
  });
}
