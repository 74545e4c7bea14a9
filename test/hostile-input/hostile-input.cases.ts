import type { StorageProvider, StoredDelta } from '../../src/index.js';

/** The limits the hostile-input providers (and the HTTP app) run with, small so that oversize input is cheap. */
export const HOSTILE_LIMITS = { maxDeltaBytes: 2048, maxAwarenessBytes: 2048, maxSnapshotBytes: 256 } as const;

/** The document every case aims at: it holds deltas, a snapshot and presence, so a stray write shows. */
export const TARGET_DOC = 'doc';
export const ROOMS = [TARGET_DOC, 'room'] as const;

/** A request that carries the same bad input over HTTP. */
export interface HttpRequest {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  path: string;
  json?: unknown;
  /** Sent as application/octet-stream. */
  bytes?: Uint8Array;
  headers?: Record<string, string>;
  /**
   * 413 where the app's body limit (sized to the storage limit) refuses the body before the store sees it;
   * otherwise the store's 400.
   */
  status?: 400 | 413;
}

export interface HostileCase {
  /** The public call, e.g. `documents.addDelta`. */
  method: string;
  /** What is wrong with the input. */
  input: string;
  /** The name the `StorageValidationError` must carry (or start with, for a nested field). */
  argument: string;
  call(provider: StorageProvider): unknown;
  http?: HttpRequest;
}

/** A document with deltas and a snapshot, and presence in two rooms: what bad input must leave alone. */
export async function seedHostileTarget(provider: StorageProvider): Promise<void> {
  const { documents, awareness } = provider;
  await documents.addDeltas(TARGET_DOC, [
    validDelta({ id: 'd1', clientId: 'a', vectorClock: { a: 1 } }),
    validDelta({ id: 'd2', clientId: 'a', vectorClock: { a: 2 } }),
    validDelta({ id: 'd3', clientId: 'b', vectorClock: { a: 2, b: 1 } }),
  ]);
  await documents.saveSnapshot(TARGET_DOC, new Uint8Array([1, 2, 3]), { a: 1 });
  await awareness.set(TARGET_DOC, 'a', { cursor: 1 }, 1, { connectionId: 'conn' });
  await awareness.set('room', 'b', { cursor: 2 }, 1, { connectionId: 'conn' });
}

export function validDelta(overrides: Record<string, unknown> = {}): StoredDelta {
  return {
    id: 'fresh',
    clientId: 'zed',
    timestamp: 1_764_000_000_000,
    data: { op: 'x' },
    vectorClock: { zed: 1 },
    ...overrides,
  } as StoredDelta;
}

function cycle(): unknown {
  const node: Record<string, unknown> = { name: 'loop' };
  node.self = node;
  return node;
}

/** Over the delta limit by itself, with a valid shape. */
const OVERSIZE_DATA = 'x'.repeat(HOSTILE_LIMITS.maxDeltaBytes);
const LONG_ID = 'x'.repeat(256);
const LONG_ASTRAL_ID = '\u{1F600}'.repeat(256);
const path = (...segments: string[]): string => `/${segments.map(encodeURIComponent).join('/')}`;
const deltasPath = path('documents', TARGET_DOC, 'deltas');
const batchPath = path('documents', TARGET_DOC, 'deltas', 'batch');
const awarenessPath = path('documents', TARGET_DOC, 'awareness', 'newcomer');
const query = (route: string, parameters: Record<string, string>): string =>
  `${route}?${new URLSearchParams(parameters)}`;

/** Ids no call may accept, for whichever id argument a case names. */
const badIds: ReadonlyArray<{ input: string; value: unknown; inPath?: string }> = [
  { input: 'a number', value: 42 },
  { input: 'null', value: null },
  { input: 'undefined', value: undefined },
  { input: 'an empty string', value: '' },
  { input: '256 characters', value: LONG_ID, inPath: LONG_ID },
  { input: '256 astral characters', value: LONG_ASTRAL_ID, inPath: LONG_ASTRAL_ID },
  { input: 'U+0000 inside', value: 'a\u0000b', inPath: 'a\u0000b' },
  { input: 'a String object', value: new String('doc') },
  { input: 'an array', value: ['doc'] },
];

const idCases = (
  method: string,
  argument: string,
  call: (provider: StorageProvider, id: never) => unknown,
  route?: (id: string) => HttpRequest,
): HostileCase[] =>
  badIds.map(({ input, value, inPath }) => ({
    method,
    input,
    argument,
    call: (provider) => call(provider, value as never),
    http: inPath !== undefined && route ? route(inPath) : undefined,
  }));

export const HOSTILE_CASES: readonly HostileCase[] = [
  // Ids, through every method that takes one.
  ...idCases(
    'documents.getOrCreate',
    'documentId',
    (p, id) => p.documents.getOrCreate(id),
    (id) => ({ method: 'PUT', path: path('documents', id) }),
  ),
  ...idCases(
    'documents.addDelta',
    'documentId',
    (p, id) => p.documents.addDelta(id, validDelta()),
    (id) => ({
      method: 'POST',
      path: path('documents', id, 'deltas'),
      json: validDelta(),
    }),
  ),
  { method: 'documents.get', input: 'an empty string', argument: 'documentId', call: (p) => p.documents.get('') },
  {
    method: 'documents.exists',
    input: 'U+0000 inside',
    argument: 'documentId',
    call: (p) => p.documents.exists('doc\u0000'),
  },
  {
    method: 'documents.delete',
    input: '256 characters',
    argument: 'documentId',
    call: (p) => p.documents.delete(LONG_ID),
    http: { method: 'DELETE', path: path('documents', LONG_ID) },
  },
  {
    method: 'documents.getVectorClock',
    input: 'a number',
    argument: 'documentId',
    call: (p) => p.documents.getVectorClock(7 as never),
    http: { method: 'GET', path: path('documents', 'a\u0000', 'clock') },
  },
  {
    method: 'documents.getSnapshot',
    input: 'an object',
    argument: 'documentId',
    call: (p) => p.documents.getSnapshot({} as never),
  },
  {
    method: 'awareness.get',
    input: 'an empty clientId',
    argument: 'clientId',
    call: (p) => p.awareness.get(TARGET_DOC, ''),
  },
  {
    method: 'awareness.getAll',
    input: 'U+0000 in the documentId',
    argument: 'documentId',
    call: (p) => p.awareness.getAll('\u0000'),
    http: { method: 'GET', path: path('documents', '\u0000', 'awareness') },
  },
  {
    method: 'awareness.remove',
    input: 'a 256-character clientId',
    argument: 'clientId',
    call: (p) => p.awareness.remove(TARGET_DOC, LONG_ID),
    http: { method: 'DELETE', path: path('documents', TARGET_DOC, 'awareness', LONG_ID) },
  },
  {
    method: 'awareness.removeAllForConnection',
    input: 'U+0000 in the connectionId',
    argument: 'connectionId',
    call: (p) => p.awareness.removeAllForConnection('conn\u0000'),
    http: { method: 'DELETE', path: path('connections', 'conn\u0000', 'awareness') },
  },

  // Deltas, field by field.
  ...(
    [
      ['a number id', 'delta.id', { id: 42 }],
      ['an empty clientId', 'delta.clientId', { clientId: '' }],
      ['no own counter in the clock', 'delta.vectorClock', { vectorClock: { other: 3 } }],
      ['an own counter of 0', 'delta.vectorClock', { vectorClock: { zed: 0 } }],
      ['a negative counter', 'delta.vectorClock', { vectorClock: { zed: 1, other: -1 } }],
      ['a fractional counter', 'delta.vectorClock', { vectorClock: { zed: 1.5 } }],
      ['a counter as text', 'delta.vectorClock', { vectorClock: { zed: '1' } }],
      ['a counter above 2^53', 'delta.vectorClock', { vectorClock: { zed: 2 ** 53 } }],
      ['an empty clock key', 'delta.vectorClock', { vectorClock: { zed: 1, '': 1 } }],
      ['a 256-character clock key', 'delta.vectorClock', { vectorClock: { zed: 1, [LONG_ID]: 1 } }],
      ['a clock that is an array', 'delta.vectorClock', { vectorClock: [1] }],
      ['a negative timestamp', 'delta.timestamp', { timestamp: -1 }],
      ['a fractional timestamp', 'delta.timestamp', { timestamp: 1.5 }],
      ['a timestamp as text', 'delta.timestamp', { timestamp: '1764000000000' }],
      ['data over the size limit', 'delta', { data: OVERSIZE_DATA }],
    ] as const
  ).map(([input, argument, overrides]): HostileCase => ({
    method: 'documents.addDelta',
    input,
    argument,
    call: (p) => p.documents.addDelta(TARGET_DOC, validDelta(overrides)),
    http: { method: 'POST', path: deltasPath, json: validDelta(overrides) },
  })),
  ...(
    [
      ['data missing', () => validDelta({ data: undefined })],
      ['data that is a function', () => validDelta({ data: () => 1 })],
      ['data that is a symbol', () => validDelta({ data: Symbol('s') })],
      ['data that is a bigint', () => validDelta({ data: 10n })],
      ['data holding NaN', () => validDelta({ data: { n: Number.NaN } })],
      ['data holding Infinity', () => validDelta({ data: [Number.POSITIVE_INFINITY] })],
      ['data with a cycle', () => validDelta({ data: cycle() })],
      ['data holding a Date', () => validDelta({ data: { at: new Date(0) } })],
      ['data holding a Map', () => validDelta({ data: new Map([['k', 1]]) })],
      ['data with undefined in an array', () => validDelta({ data: [1, undefined] })],
    ] as const
  ).map(([input, build]): HostileCase => ({
    method: 'documents.addDelta',
    input,
    argument: 'delta.data',
    call: (p) => p.documents.addDelta(TARGET_DOC, build()),
  })),
  {
    method: 'documents.addDelta',
    input: 'null instead of a delta',
    argument: 'delta',
    call: (p) => p.documents.addDelta(TARGET_DOC, null as never),
  },
  {
    method: 'documents.addDelta',
    input: 'a string instead of a delta',
    argument: 'delta',
    call: (p) => p.documents.addDelta(TARGET_DOC, 'delta' as never),
  },

  // Batches are all or nothing: a bad delta after good ones rejects the whole batch before any write.
  {
    method: 'documents.addDeltas',
    input: 'a bad clock in the second delta',
    argument: 'deltas[1]',
    call: (p) =>
      p.documents.addDeltas(TARGET_DOC, [validDelta(), validDelta({ id: 'fresh-2', vectorClock: { zed: -2 } })]),
    http: {
      method: 'POST',
      path: batchPath,
      json: { deltas: [validDelta(), validDelta({ id: 'fresh-2', vectorClock: { zed: -2 } })] },
    },
  },
  {
    method: 'documents.addDeltas',
    input: 'an oversize third delta',
    argument: 'deltas[2]',
    call: (p) =>
      p.documents.addDeltas(TARGET_DOC, [
        validDelta(),
        validDelta({ id: 'f2' }),
        validDelta({ id: 'f3', data: OVERSIZE_DATA }),
      ]),
    http: {
      method: 'POST',
      path: batchPath,
      json: { deltas: [validDelta(), validDelta({ id: 'f2' }), validDelta({ id: 'f3', data: OVERSIZE_DATA })] },
    },
  },
  {
    method: 'documents.addDeltas',
    input: 'null inside the batch',
    argument: 'deltas[1]',
    call: (p) => p.documents.addDeltas(TARGET_DOC, [validDelta(), null as never]),
    http: { method: 'POST', path: batchPath, json: { deltas: [validDelta(), null] } },
  },
  {
    method: 'documents.addDeltas',
    input: 'a string instead of an array',
    argument: 'deltas',
    call: (p) => p.documents.addDeltas(TARGET_DOC, 'x' as never),
  },
  {
    method: 'documents.addDeltas',
    input: 'an object instead of an array',
    argument: 'deltas',
    call: (p) => p.documents.addDeltas(TARGET_DOC, { 0: validDelta(), length: 1 } as never),
  },

  // Catch-up clocks.
  {
    method: 'documents.getDeltasSince',
    input: 'a negative counter',
    argument: 'since',
    call: (p) => p.documents.getDeltasSince(TARGET_DOC, { a: -1 }),
    http: { method: 'GET', path: query(deltasPath, { since: '{"a":-1}' }) },
  },
  {
    method: 'documents.getDeltasSince',
    input: 'an array as clock',
    argument: 'since',
    call: (p) => p.documents.getDeltasSince(TARGET_DOC, [1] as never),
    http: { method: 'GET', path: query(deltasPath, { since: '[1]' }) },
  },
  {
    method: 'documents.getChangesSince',
    input: 'a counter as text',
    argument: 'since',
    call: (p) => p.documents.getChangesSince(TARGET_DOC, { a: '2' } as never),
    http: { method: 'GET', path: query(path('documents', TARGET_DOC, 'changes'), { since: '{"a":"2"}' }) },
  },
  {
    method: 'documents.getChangesSince',
    input: 'a Map as clock',
    argument: 'since',
    call: (p) => p.documents.getChangesSince(TARGET_DOC, new Map() as never),
  },
  {
    method: 'documents.iterateDeltasSince',
    input: 'batchSize 0',
    argument: 'batchSize',
    call: (p) => p.documents.iterateDeltasSince(TARGET_DOC, null, { batchSize: 0 }),
  },
  {
    method: 'documents.iterateDeltasSince',
    input: 'batchSize 10001',
    argument: 'batchSize',
    call: (p) => p.documents.iterateDeltasSince(TARGET_DOC, null, { batchSize: 10_001 }),
  },
  {
    method: 'documents.iterateDeltasSince',
    input: 'a string as clock',
    argument: 'since',
    call: (p) => p.documents.iterateDeltasSince(TARGET_DOC, 'x' as never),
  },

  // Snapshots and compaction.
  {
    method: 'documents.saveSnapshot',
    input: 'bytes over the size limit',
    argument: 'data',
    call: (p) => p.documents.saveSnapshot(TARGET_DOC, new Uint8Array(HOSTILE_LIMITS.maxSnapshotBytes + 1), { a: 9 }),
    http: {
      method: 'PUT',
      path: path('documents', TARGET_DOC, 'snapshot'),
      bytes: new Uint8Array(HOSTILE_LIMITS.maxSnapshotBytes + 1),
      headers: { 'x-vector-clock': '{"a":9}' },
      status: 413,
    },
  },
  {
    method: 'documents.saveSnapshot',
    input: 'a string as data',
    argument: 'data',
    call: (p) => p.documents.saveSnapshot(TARGET_DOC, 'bytes' as never, { a: 9 }),
  },
  {
    method: 'documents.saveSnapshot',
    input: 'an array of numbers as data',
    argument: 'data',
    call: (p) => p.documents.saveSnapshot(TARGET_DOC, [1, 2] as never, { a: 9 }),
  },
  {
    method: 'documents.saveSnapshot',
    input: 'an ArrayBuffer as data',
    argument: 'data',
    call: (p) => p.documents.saveSnapshot(TARGET_DOC, new ArrayBuffer(2) as never, { a: 9 }),
  },
  {
    method: 'documents.saveSnapshot',
    input: 'a Uint16Array as data',
    argument: 'data',
    call: (p) => p.documents.saveSnapshot(TARGET_DOC, new Uint16Array(2) as never, { a: 9 }),
  },
  {
    method: 'documents.saveSnapshot',
    input: 'a fractional counter in the clock',
    argument: 'vectorClock',
    call: (p) => p.documents.saveSnapshot(TARGET_DOC, new Uint8Array([9]), { a: 9.5 }),
    http: {
      method: 'PUT',
      path: path('documents', TARGET_DOC, 'snapshot'),
      bytes: new Uint8Array([9]),
      headers: { 'x-vector-clock': '{"a":9.5}' },
    },
  },
  {
    method: 'documents.saveSnapshot',
    input: 'null as clock',
    argument: 'vectorClock',
    call: (p) => p.documents.saveSnapshot(TARGET_DOC, new Uint8Array([9]), null as never),
  },
  {
    method: 'documents.compactDeltas',
    input: 'a negative counter',
    argument: 'upToClock',
    call: (p) => p.documents.compactDeltas(TARGET_DOC, { a: -5 }),
    http: { method: 'POST', path: path('documents', TARGET_DOC, 'compact'), json: { upTo: { a: -5 } } },
  },
  {
    method: 'documents.compactDeltas',
    input: 'no clock at all',
    argument: 'upToClock',
    call: (p) => p.documents.compactDeltas(TARGET_DOC, undefined as never),
    http: { method: 'POST', path: path('documents', TARGET_DOC, 'compact'), json: {} },
  },

  // Paging.
  ...(
    [
      ['limit 0', { limit: 0 }, 'limit', { limit: '0' }],
      ['limit 10001', { limit: 10_001 }, 'limit', { limit: '10001' }],
      ['a fractional limit', { limit: 2.5 }, 'limit', undefined],
      ['limit as text', { limit: '10' }, 'limit', undefined],
      ['a negative limit', { limit: -1 }, 'limit', { limit: '-1' }],
      ['a number as cursor', { cursor: 5 }, 'cursor', undefined],
      ['U+0000 in the cursor', { cursor: 'doc\u0000' }, 'cursor', { cursor: 'doc\u0000' }],
      ['a string as options', 'all', 'options', undefined],
    ] as const
  ).map(([input, options, argument, parameters]): HostileCase => ({
    method: 'documents.getDocumentIds',
    input,
    argument,
    call: (p) => p.documents.getDocumentIds(options as never),
    http: parameters && { method: 'GET', path: query('/documents', parameters) },
  })),
  {
    method: 'documents.iterateDocumentIds',
    input: 'pageSize 0',
    argument: 'pageSize',
    call: (p) => p.documents.iterateDocumentIds({ pageSize: 0 }),
  },
  {
    method: 'documents.iterateDocumentIds',
    input: 'pageSize NaN',
    argument: 'pageSize',
    call: (p) => p.documents.iterateDocumentIds({ pageSize: Number.NaN }),
  },

  // Awareness.
  ...(
    [
      ['state missing', 'state', undefined, 1, undefined],
      ['a negative clock', 'clock', { x: 1 }, -1, undefined],
      ['a fractional clock', 'clock', { x: 1 }, 0.5, undefined],
      ['a clock as text', 'clock', { x: 1 }, '3', undefined],
      ['state over the size limit', 'state', { blob: OVERSIZE_DATA }, 1, undefined],
      ['an empty connectionId', 'connectionId', { x: 1 }, 1, ''],
      ['a number as connectionId', 'connectionId', { x: 1 }, 1, 7],
    ] as const
  ).map(([input, argument, state, clock, connectionId]): HostileCase => ({
    method: 'awareness.set',
    input,
    argument,
    call: (p) =>
      p.awareness.set(
        TARGET_DOC,
        'newcomer',
        state as never,
        clock as never,
        connectionId === undefined ? undefined : { connectionId: connectionId as never },
      ),
    http: { method: 'PUT', path: awarenessPath, json: { state, clock, connectionId } },
  })),
  {
    method: 'awareness.set',
    input: 'state with a cycle',
    argument: 'state',
    call: (p) => p.awareness.set(TARGET_DOC, 'newcomer', cycle() as never, 1),
  },
  {
    method: 'awareness.set',
    input: 'state that is a bigint',
    argument: 'state',
    call: (p) => p.awareness.set(TARGET_DOC, 'newcomer', 1n as never, 1),
  },
  {
    method: 'awareness.set',
    input: 'a string as options',
    argument: 'options',
    call: (p) => p.awareness.set(TARGET_DOC, 'newcomer', {}, 1, 'conn' as never),
  },
];
