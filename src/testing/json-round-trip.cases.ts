import type { JsonValue } from '../index.js';
import type { ConformanceContextGetter } from './conformance-context.js';
import { collect, makeDelta } from './conformance-helpers.js';
import { describe, expect, it } from './runner.js';

function nested(depth: number): JsonValue {
  let value: JsonValue = 'bottom';
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { level: i, next: value } : [i, value];
  return value;
}

/** [description, value]: each must read back as JSON.parse(JSON.stringify(value)). */
const VALUES: ReadonlyArray<readonly [string, JsonValue]> = [
  ['null', null],
  ['true', true],
  ['false', false],
  ['zero', 0],
  ['negative zero, which reads back as 0', -0],
  ['floats', [0.1, -2.5, 1e-7, 1.7976931348623157e308, 5e-324, 1e21, 123456.789]],
  ['large safe integers', [Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 52 + 1]],
  ['an empty string', ''],
  ['an empty object and array', { empty: {}, list: [], nested: [[], {}] }],
  [
    'a nested object',
    { user: { name: 'Ada', tags: ['x', 'y'], address: { zip: '01234', flags: [true, false, null] } } },
  ],
  ['an array of mixed values', [1, 'two', null, false, { three: [3] }, []]],
  ['unicode text', 'h\u00e9llo \u4e16\u754c \u05e9\u05dc\u05d5\u05dd \u0928\u092e\u0938\u094d\u0924\u0947'],
  ['astral characters', '\u{1F600}\u{10000}\u{10FFFF}'],
  ['a string with U+0000', 'before\u0000after'],
  ['strings with lone surrogates', ['\uD800', 'a\uDC00b', '\uDBFF\uDBFF', '\uDC00\uD800']],
  ['control characters and escapes', '\u0001\u001f\t\n\r"\\/\u2028\u2029\u007f'],
  [
    'keys that are unusual',
    { '': 1, ' ': 2, 'a.b': 3, $ref: 4, '\u0000k': 5, '\uD800': 6, '\u{1F600}': 7, constructor: 8, toString: 9 },
  ],
  ['"__proto__" as an own key', JSON.parse('{"__proto__": {"polluted": true}, "safe": 1}') as JsonValue],
  ['64 levels of nesting, the deepest allowed by default', nested(64)],
  ['a long string', 'x'.repeat(50_000)],
];

const expectJsonRoundTrip = (read: unknown, written: unknown): void => {
  expect(read).toEqual(JSON.parse(JSON.stringify(written)));
};

export function jsonRoundTripCases(context: ConformanceContextGetter): void {
  describe('JSON round trip', () => {
    it.each(VALUES)('delta data holding %s reads back as JSON.parse(JSON.stringify(data))', async (_, data) => {
      const { documents } = context();
      const delta = makeDelta('d1', 'a', 1, { data });
      await documents.addDelta('doc', delta);
      const [read] = await documents.getDeltasSince('doc');
      expectJsonRoundTrip(read, delta);
      const [iterated] = await collect(documents.iterateDeltasSince('doc'));
      expectJsonRoundTrip(iterated, delta);
      expectJsonRoundTrip((await documents.getChangesSince('doc')).deltas[0], delta);
    });

    it.each(VALUES)('awareness state holding %s reads back as JSON.parse(JSON.stringify(state))', async (_, state) => {
      const { awareness } = context();
      await awareness.set('doc', 'a', state, 1);
      expectJsonRoundTrip((await awareness.get('doc', 'a'))!.state, state);
      expectJsonRoundTrip((await awareness.getAll('doc'))[0]!.state, state);
    });

    it('"__proto__" stays an own key and never becomes the prototype', async () => {
      const { documents, awareness } = context();
      const data = JSON.parse('{"__proto__": {"polluted": true}}') as JsonValue;
      await documents.addDelta('doc', makeDelta('d1', 'a', 1, { data }));
      await awareness.set('doc', 'a', data, 1);
      const read = [(await documents.getDeltasSince('doc'))[0]!.data, (await awareness.get('doc', 'a'))!.state];
      for (const value of read) {
        expect(Object.prototype.hasOwnProperty.call(value, '__proto__')).toBe(true);
        expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
        expect((value as { polluted?: unknown }).polluted).toBeUndefined();
      }
      expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    });

    it('ids, timestamps and clocks read back exactly, at the edges of what is allowed', async () => {
      const { documents } = context();
      const longId = '\u{1F600}'.repeat(255);
      const delta = {
        id: longId,
        clientId: 'c'.repeat(255),
        timestamp: Number.MAX_SAFE_INTEGER,
        data: 0,
        vectorClock: { ['c'.repeat(255)]: Number.MAX_SAFE_INTEGER, [longId]: 0, '\u00e9': 1 },
      };
      expect(await documents.addDelta(longId, delta)).toBe(true);
      expect(await documents.getDeltasSince(longId)).toEqual([delta]);
      expect(await documents.getVectorClock(longId)).toEqual(delta.vectorClock);
      expect(await documents.getDocumentIds()).toEqual([longId]);
      const zero = makeDelta('z', 'z', 1, { timestamp: 0 });
      await documents.addDelta(longId, zero);
      expect((await documents.getDeltasSince(longId, delta.vectorClock))[0]).toEqual(zero);
    });
  });
}
