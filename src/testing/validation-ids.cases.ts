import type { StorageProvider, StoredDelta } from '../index.js';
import { expectRejectedEverywhere, type BadInputSite, type LabelledValues } from './bad-input.js';
import type { ConformanceContextGetter } from './conformance-context.js';
import { makeDelta } from './conformance-helpers.js';
import { describe, expect, it } from './runner.js';

const ASTRAL_255 = '\u{1F600}'.repeat(255);

/** Every malformed id the contract lists, plus lone surrogates (which PostgreSQL text cannot hold). */
export const BAD_IDS: LabelledValues = [
  ['a number', 42],
  ['null', null],
  ['undefined', undefined],
  ['an object', { id: 'doc' }],
  ['an array', ['doc']],
  ['an empty string', ''],
  ['256 characters', 'x'.repeat(256)],
  ['256 astral characters', '\u{1F600}'.repeat(256)],
  ['255 astral characters and one more', `${ASTRAL_255}x`],
  ['a string containing U+0000', 'do\u0000c'],
  ['only U+0000', '\u0000'],
  ['a lone high surrogate', 'a\uD800'],
  ['a lone low surrogate', '\uDC00b'],
];
/** `connectionId` may be left out: undefined or null means "no connection", as an entry reports it. */
const BAD_IDS_WHEN_OPTIONAL = BAD_IDS.filter(([, value]) => value !== undefined && value !== null);

/** A delta the seeded document would store (new id, counter above the snapshot's), so a missing check shows. */
const fresh = (): StoredDelta => makeDelta('fresh', 'a', 5);
/** A delta by `clientId` that carries its own counter, so only the clientId check can reject it. */
const byClient = (clientId: never): StoredDelta =>
  ({ ...fresh(), clientId, vectorClock: typeof clientId === 'string' ? { [clientId]: 5 } : { a: 5 } }) as StoredDelta;

const DOCUMENT_ID_SITES: BadInputSite[] = [
  { name: 'documents.getOrCreate', argument: 'documentId', call: (p, v) => p.documents.getOrCreate(v) },
  { name: 'documents.get', argument: 'documentId', call: (p, v) => p.documents.get(v) },
  { name: 'documents.exists', argument: 'documentId', call: (p, v) => p.documents.exists(v) },
  { name: 'documents.delete', argument: 'documentId', call: (p, v) => p.documents.delete(v) },
  { name: 'documents.addDelta', argument: 'documentId', call: (p, v) => p.documents.addDelta(v, fresh()) },
  { name: 'documents.addDeltas', argument: 'documentId', call: (p, v) => p.documents.addDeltas(v, [fresh()]) },
  { name: 'documents.getDeltasSince', argument: 'documentId', call: (p, v) => p.documents.getDeltasSince(v, null) },
  { name: 'documents.iterateDeltasSince', argument: 'documentId', call: (p, v) => p.documents.iterateDeltasSince(v) },
  { name: 'documents.getDeltasPage', argument: 'documentId', call: (p, v) => p.documents.getDeltasPage(v) },
  { name: 'documents.getChangesSince', argument: 'documentId', call: (p, v) => p.documents.getChangesSince(v) },
  { name: 'documents.getVectorClock', argument: 'documentId', call: (p, v) => p.documents.getVectorClock(v) },
  {
    name: 'documents.saveSnapshot',
    argument: 'documentId',
    call: (p, v) => p.documents.saveSnapshot(v, new Uint8Array([5]), { a: 5 }),
  },
  { name: 'documents.getSnapshot', argument: 'documentId', call: (p, v) => p.documents.getSnapshot(v) },
  { name: 'documents.compactDeltas', argument: 'documentId', call: (p, v) => p.documents.compactDeltas(v, { a: 5 }) },
  { name: 'awareness.get', argument: 'documentId', call: (p, v) => p.awareness.get(v, 'a') },
  { name: 'awareness.getAll', argument: 'documentId', call: (p, v) => p.awareness.getAll(v) },
  { name: 'awareness.set', argument: 'documentId', call: (p, v) => p.awareness.set(v, 'a', { x: 1 }, 9) },
  { name: 'awareness.remove', argument: 'documentId', call: (p, v) => p.awareness.remove(v, 'a') },
];

const OTHER_ID_SITES: BadInputSite[] = [
  { name: 'awareness.get', argument: 'clientId', call: (p, v) => p.awareness.get('doc', v) },
  { name: 'awareness.set', argument: 'clientId', call: (p, v) => p.awareness.set('doc', v, { x: 1 }, 9) },
  { name: 'awareness.remove', argument: 'clientId', call: (p, v) => p.awareness.remove('doc', v) },
  { name: 'documents.addDelta', argument: 'delta.clientId', call: (p, v) => p.documents.addDelta('doc', byClient(v)) },
  {
    name: 'documents.addDeltas',
    argument: 'deltas[1].clientId',
    call: (p, v) => p.documents.addDeltas('doc', [fresh(), byClient(v)]),
  },
  {
    name: 'documents.addDelta',
    argument: 'delta.id',
    call: (p, v) => p.documents.addDelta('doc', { ...fresh(), id: v }),
  },
  {
    name: 'documents.addDeltas',
    argument: 'deltas[1].id',
    call: (p, v) => p.documents.addDeltas('doc', [makeDelta('first', 'c', 1), { ...fresh(), id: v }]),
  },
  {
    name: 'awareness.removeAllForConnection',
    argument: 'connectionId',
    call: (p, v) => p.awareness.removeAllForConnection(v),
  },
];

/** Where undefined or null means "not given", so only the other bad ids apply. */
const OPTIONAL_ID_SITES: BadInputSite[] = [
  {
    name: 'awareness.set',
    argument: 'connectionId',
    call: (p, v) => p.awareness.set('doc', 'a', { x: 1 }, 9, { connectionId: v }),
  },
];

/** Longest ids the contract allows: 255 characters, counted as code points. */
const LONGEST_IDS = [
  ['255 ASCII characters', 'x'.repeat(255)],
  ['255 astral characters', ASTRAL_255],
] as const;

async function useEveryId(provider: StorageProvider, id: string): Promise<void> {
  const { documents, awareness } = provider;
  expect(await documents.addDelta(id, { ...makeDelta(id, id, 1), vectorClock: { [id]: 1 } })).toBe(true);
  expect(await awareness.set(id, id, { id }, 1, { connectionId: id })).toBe(true);
  expect(await documents.getDocumentIds()).toEqual([id]);
  expect((await documents.getDeltasSince(id))[0]).toMatchObject({ id, clientId: id, vectorClock: { [id]: 1 } });
  expect(await awareness.get(id, id)).toMatchObject({ documentId: id, clientId: id, connectionId: id });
  expect(await awareness.removeAllForConnection(id)).toBe(1);
  expect(await documents.delete(id)).toBe(true);
}

export function badIdCases(context: ConformanceContextGetter): void {
  describe('bad input: ids', () => {
    it.each(DOCUMENT_ID_SITES)('$name rejects every malformed documentId and writes nothing', async (site) => {
      await expectRejectedEverywhere(context().provider, [site], BAD_IDS);
    });

    it.each(OTHER_ID_SITES)('$name rejects every malformed $argument and writes nothing', async (site) => {
      await expectRejectedEverywhere(context().provider, [site], BAD_IDS);
    });

    it.each(OPTIONAL_ID_SITES)('$name rejects every malformed $argument and writes nothing', async (site) => {
      await expectRejectedEverywhere(context().provider, [site], BAD_IDS_WHEN_OPTIONAL);
    });

    it.each(LONGEST_IDS)('ids of %s are accepted everywhere', async (_, id) => {
      await useEveryId(context().provider, id);
    });

    it('ids with any other characters, including astral ones, spaces and U+FFFF, are accepted', async () => {
      for (const id of ['\u{1F600}', ' ', 'a/b?c#d', '\uFFFF', 'quote\'"', '\u00e9t\u00e9', '\\', '%_']) {
        await useEveryId(context().provider, id);
      }
    });
  });
}
