import fc from 'fast-check';
import type { DeltaData, JsonValue, StoredDelta } from '../../../src/index.js';
import {
  CLIENT_ID_POOL,
  CONNECTION_ID_POOL,
  DELTA_ID_POOL,
  DOCUMENT_ID_POOL,
  TRICKY_STRINGS,
} from '../../fixtures/tricky-ids.js';

/** Inputs of the model-based runs: valid by the contract, and as awkward as valid input gets. */
export const documentId = fc.constantFrom(...DOCUMENT_ID_POOL);
export const clientId = fc.constantFrom(...CLIENT_ID_POOL);
export const deltaId = fc.constantFrom(...DELTA_ID_POOL);
export const connectionId = fc.constantFrom(...CONNECTION_ID_POOL);

/** Mostly small counters, so clocks cover each other often; sometimes the largest safe integer. */
export const counter = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 6 }), weight: 12 },
  { arbitrary: fc.constantFrom(Number.MAX_SAFE_INTEGER - 1, Number.MAX_SAFE_INTEGER), weight: 1 },
);
const ownCounter = counter.map((value) => Math.max(1, value));

/** A clock over the client pool; built with `Object.fromEntries`, so `__proto__` is an own key like any other. */
export const vectorClock = fc
  .uniqueArray(fc.tuple(clientId, counter), { selector: ([key]) => key, maxLength: 4 })
  .map((entries) => Object.fromEntries(entries) as Record<string, number>);

export const trickyString = fc.oneof(
  { arbitrary: fc.constantFrom(...TRICKY_STRINGS), weight: 3 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 6 }), weight: 1 },
  {
    // Mixes lone surrogates, U+0000 and metacharacters into one string.
    arbitrary: fc.string({
      unit: fc.constantFrom('\u0000', '\uD800', '\uDFFF', "'", '%', '\\', 'a', '\u{1F600}'),
      maxLength: 6,
    }),
    weight: 2,
  },
);

const number = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1e308, -1.5e300, 5e-324, 0.1, -0, 2 ** 53 - 2),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Nested `depth` levels deep, alternating arrays and objects. */
export function nested(depth: number): JsonValue {
  let value: JsonValue = 'bottom';
  for (let level = 0; level < depth; level++) value = level % 2 === 0 ? [value] : { next: value };
  return value;
}

const { json } = fc.letrec<{ json: JsonValue }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', maxDepth: 3 },
    fc.constant(null),
    fc.boolean(),
    number,
    trickyString,
    fc.array(tie('json'), { maxLength: 4 }),
    fc
      .array(fc.tuple(fc.oneof(trickyString, fc.constant('__proto__')), tie('json')), { maxLength: 4 })
      .map((entries) => Object.fromEntries(entries) as JsonValue),
  ),
}));

/** Any JSON value, now and then nested up to the default depth limit (64 levels). */
export const payload: fc.Arbitrary<JsonValue> = fc.oneof(
  { arbitrary: json, weight: 9 },
  { arbitrary: fc.integer({ min: 20, max: 64 }).map(nested), weight: 1 },
);

/** A delta's data: mostly JSON, sometimes bytes (a Buffer now and then, which is a Uint8Array too). */
const deltaData: fc.Arbitrary<DeltaData> = fc.oneof(
  { arbitrary: payload, weight: 8 },
  { arbitrary: fc.uint8Array({ maxLength: 12 }), weight: 2 },
  { arbitrary: fc.uint8Array({ maxLength: 4 }).map((bytes) => Buffer.from(bytes)), weight: 1 },
);

const timestamp = fc.oneof(fc.integer({ min: 0, max: 2_000_000_000_000 }), fc.constant(Number.MAX_SAFE_INTEGER));

export const delta: fc.Arbitrary<StoredDelta> = fc
  .record({ id: deltaId, clientId, timestamp, data: deltaData, seen: vectorClock, own: ownCounter })
  .map(({ id, clientId: author, timestamp: at, data, seen, own }) => ({
    id,
    clientId: author,
    timestamp: at,
    data,
    vectorClock: Object.fromEntries([...Object.entries(seen).filter(([key]) => key !== author), [author, own]]),
  }));

/** A batch with ids repeated inside it (the repeat carries other content: the first must win). */
export const deltaBatch: fc.Arbitrary<StoredDelta[]> = fc
  .array(delta, { maxLength: 5 })
  .chain((deltas) =>
    deltas.length === 0
      ? fc.constant(deltas)
      : fc
          .array(fc.nat(deltas.length - 1), { maxLength: 2 })
          .map((repeats) => [...deltas, ...repeats.map((index) => ({ ...deltas[index]!, data: { repeatOf: index } }))]),
  );

export const snapshotBytes = fc.uint8Array({ maxLength: 16 });

/**
 * How a command picks a clock: at random, or from the model's state when it runs (the document clock,
 * one client one behind it, or merged with a random clock), so catch-up, snapshots and compaction
 * meet clocks that matter as well as arbitrary ones.
 */
export type ClockPick =
  | { from: 'random'; clock: Record<string, number> }
  | { from: 'document' }
  | { from: 'document-behind'; client: string }
  | { from: 'document-ahead'; clock: Record<string, number> };

export const clockPick: fc.Arbitrary<ClockPick> = fc.oneof(
  vectorClock.map((clock) => ({ from: 'random', clock }) as const),
  fc.constant({ from: 'document' } as const),
  clientId.map((client) => ({ from: 'document-behind', client }) as const),
  vectorClock.map((clock) => ({ from: 'document-ahead', clock }) as const),
);

export const pageSize = fc.integer({ min: 1, max: 4 });

/** Paging cursors: none, an id of the pool, or a string between ids. */
export const cursor = fc.oneof(
  fc.constant(null),
  documentId,
  documentId.map((id) => `${id}\u0001`),
  fc.constant('\u{10FFFF}'),
);
