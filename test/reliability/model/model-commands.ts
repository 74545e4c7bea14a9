import fc from 'fast-check';
import {
  DeltaConflictError,
  HistoryUnavailableError,
  StaleSnapshotError,
  type JsonValue,
  type StorageProvider,
} from '../../../src/index.js';
import { ContractModel } from './contract-model.js';
import * as arb from './model-arbitraries.js';
import type { ClockPick } from './model-arbitraries.js';

/** The system under test, and how many calls of each kind the run made (for the report). */
export interface ModelReal {
  provider: StorageProvider;
  calls: Map<string, number>;
}

type ModelCommand = fc.AsyncCommand<ContractModel, ModelReal>;

/** Fails the run with both sides printed; fast-check then shrinks the command list and prints it. */
function expectSame(call: string, actual: unknown, expected: unknown): void {
  const got = canonical(actual);
  const want = canonical(expected);
  if (got !== want)
    throw new Error(`${call} diverged from the model\n  expected: ${clip(want)}\n  actual:   ${clip(got)}`);
}

/** JSON with sorted keys; `undefined` becomes a marker so a missing field shows in the diff. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item === undefined) return '<undefined>';
    if (item instanceof Uint8Array) return { bytes: Array.from(item) };
    if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
      return Object.fromEntries(
        Object.keys(item)
          .sort()
          .map((key) => [key, (item as Record<string, unknown>)[key]]),
      );
    }
    return item;
  });
}

const clip = (text: string): string => (text.length > 1500 ? `${text.slice(0, 1500)}…` : text);
const show = (value: unknown): string => clip(JSON.stringify(value) ?? 'undefined');

/** A missing key means 0, so document and snapshot clocks compare without their zero counters. */
function semanticClock(clock: Record<string, number> | undefined | null): Record<string, number> | undefined | null {
  if (!clock || typeof clock !== 'object') return clock;
  return Object.fromEntries(Object.entries(clock).filter(([, value]) => value !== 0));
}

function count(real: ModelReal, call: string): void {
  real.calls.set(call, (real.calls.get(call) ?? 0) + 1);
}

function resolveClock(model: ContractModel, documentId: string, pick: ClockPick): Record<string, number> {
  if (pick.from === 'random') return pick.clock;
  const documentClock = model.getVectorClock(documentId);
  if (pick.from === 'document') return documentClock;
  if (pick.from === 'document-ahead') {
    const merged = new Map(Object.entries(documentClock));
    for (const [key, value] of Object.entries(pick.clock)) merged.set(key, Math.max(merged.get(key) ?? 0, value));
    return Object.fromEntries(merged);
  }
  const behind = new Map(Object.entries(documentClock));
  if ((behind.get(pick.client) ?? 0) > 0) behind.set(pick.client, behind.get(pick.client)! - 1);
  return Object.fromEntries(behind);
}

function describeClock(pick: ClockPick | null): string {
  if (pick === null) return 'null';
  switch (pick.from) {
    case 'random':
      return show(pick.clock);
    case 'document':
      return '<the document clock>';
    case 'document-behind':
      return `<the document clock with ${show(pick.client)} one behind>`;
    case 'document-ahead':
      return `<the document clock merged with ${show(pick.clock)}>`;
  }
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** One call of the public API: run it on the provider and the model, and compare the answers. */
function command(describe: () => string, run: (model: ContractModel, real: ModelReal) => Promise<void>): ModelCommand {
  return { check: () => true, run, toString: describe };
}

/** A write's answer, or the conflict it rejected with, in the model's terms. */
function settleWrite<T>(write: Promise<T>): Promise<T | { conflict: { deltaId: string; existingDeltaId: string } }> {
  return write.catch((error: unknown) => {
    if (!(error instanceof DeltaConflictError)) throw error;
    return { conflict: { deltaId: error.deltaId, existingDeltaId: error.existingDeltaId } };
  });
}

const addDelta = fc.tuple(arb.documentId, arb.delta).map(([doc, delta]) =>
  command(
    () => `documents.addDelta(${show(doc)}, ${show(delta)})`,
    async (model, real) => {
      count(real, 'addDelta');
      const expected = model.addDeltas(doc, [delta]);
      expectSame(
        'addDelta',
        await settleWrite(real.provider.documents.addDelta(doc, delta)),
        typeof expected === 'number' ? expected === 1 : expected,
      );
    },
  ),
);

const addDeltas = fc.tuple(arb.documentId, arb.deltaBatch).map(([doc, deltas]) =>
  command(
    () => `documents.addDeltas(${show(doc)}, ${show(deltas)})`,
    async (model, real) => {
      count(real, 'addDeltas');
      expectSame(
        'addDeltas',
        await settleWrite(real.provider.documents.addDeltas(doc, deltas)),
        model.addDeltas(doc, deltas),
      );
    },
  ),
);

const sinceArb = fc.option(arb.clockPick, { nil: null });

const getDeltasSince = fc.tuple(arb.documentId, sinceArb).map(([doc, pick]) =>
  command(
    () => `documents.getDeltasSince(${show(doc)}, ${describeClock(pick)})`,
    async (model, real) => {
      count(real, 'getDeltasSince');
      const since = pick && resolveClock(model, doc, pick);
      expectSame(
        `getDeltasSince(since ${show(since)})`,
        await real.provider.documents.getDeltasSince(doc, since),
        model.getDeltasSince(doc, since),
      );
    },
  ),
);

const iterateDeltasSince = fc.tuple(arb.documentId, sinceArb, arb.pageSize).map(([doc, pick, batchSize]) =>
  command(
    () => `documents.iterateDeltasSince(${show(doc)}, ${describeClock(pick)}, { batchSize: ${batchSize} })`,
    async (model, real) => {
      count(real, 'iterateDeltasSince');
      const since = pick && resolveClock(model, doc, pick);
      const read = await collect(real.provider.documents.iterateDeltasSince(doc, since, { batchSize }));
      expectSame(`iterateDeltasSince(since ${show(since)})`, read, model.getDeltasSince(doc, since));
    },
  ),
);

const getDeltasPage = fc.tuple(arb.documentId, sinceArb, arb.pageSize).map(([doc, pick, limit]) =>
  command(
    () => `documents.getDeltasPage(${show(doc)}, ${describeClock(pick)}, { limit: ${limit} }) until next is null`,
    async (model, real) => {
      count(real, 'getDeltasPage');
      const since = pick && resolveClock(model, doc, pick);
      const read = [];
      for (let after: string | null = null, pages = 0; pages < 1000; pages++) {
        const page: { deltas: unknown[]; next: string | null } = await real.provider.documents.getDeltasPage(
          doc,
          since,
          {
            limit,
            after,
          },
        );
        read.push(...page.deltas);
        if (page.next === null) break;
        after = page.next;
      }
      expectSame(`getDeltasPage(since ${show(since)})`, read, model.getDeltasSince(doc, since));
    },
  ),
);

const getChangesSince = fc.tuple(arb.documentId, sinceArb).map(([doc, pick]) =>
  command(
    () => `documents.getChangesSince(${show(doc)}, ${describeClock(pick)})`,
    async (model, real) => {
      count(real, 'getChangesSince');
      const since = pick && resolveClock(model, doc, pick);
      const changes = await real.provider.documents.getChangesSince(doc, since);
      const expected = model.getChangesSince(doc, since);
      expectSame(
        `getChangesSince(since ${show(since)})`,
        {
          snapshot: changes.snapshot && {
            data: Array.from(changes.snapshot.data),
            vectorClock: semanticClock(changes.snapshot.vectorClock),
          },
          deltas: changes.deltas,
          vectorClock: semanticClock(changes.vectorClock),
        },
        {
          snapshot: expected.snapshot && {
            ...expected.snapshot,
            vectorClock: semanticClock(expected.snapshot.vectorClock),
          },
          deltas: expected.deltas,
          vectorClock: semanticClock(expected.vectorClock),
        },
      );
    },
  ),
);

/** A version of the document (often one that exists, sometimes one past its current): reads back as the model's then. */
const getChangesAt = fc.tuple(arb.documentId, fc.integer({ min: 1, max: 12 })).map(([doc, version]) =>
  command(
    () => `documents.getChangesAt(${show(doc)}, { version: ${version} })`,
    async (model, real) => {
      count(real, 'getChangesAt');
      const expected = model.getChangesAt(doc, version);
      const changes = await real.provider.documents.getChangesAt(doc, { version }).catch((error: unknown) => {
        if (error instanceof HistoryUnavailableError) return null;
        throw error;
      });
      type Answer = {
        snapshot: { data: ArrayLike<number>; vectorClock: Record<string, number> } | null;
        deltas: unknown[];
        vectorClock: Record<string, number>;
        version: number;
      } | null;
      const shape = (answer: Answer) =>
        answer && {
          snapshot: answer.snapshot && {
            data: Array.from(answer.snapshot.data),
            vectorClock: semanticClock(answer.snapshot.vectorClock),
          },
          deltas: answer.deltas,
          vectorClock: semanticClock(answer.vectorClock),
          version: answer.version,
        };
      expectSame(`getChangesAt(version ${version})`, shape(changes), shape(expected));
    },
  ),
);

const saveSnapshot = fc.tuple(arb.documentId, arb.snapshotBytes, arb.clockPick).map(([doc, bytes, pick]) =>
  command(
    () => `documents.saveSnapshot(${show(doc)}, Uint8Array.of(${bytes.join(', ')}), ${describeClock(pick)})`,
    async (model, real) => {
      count(real, 'saveSnapshot');
      const clock = resolveClock(model, doc, pick);
      const outcome = await real.provider.documents.saveSnapshot(doc, bytes, clock).then(
        () => 'saved',
        (error: unknown) => (error instanceof StaleSnapshotError ? 'stale' : Promise.reject(error)),
      );
      expectSame(`saveSnapshot(clock ${show(clock)})`, outcome, model.saveSnapshot(doc, Array.from(bytes), clock));
    },
  ),
);

const compactDeltas = fc.tuple(arb.documentId, arb.clockPick).map(([doc, pick]) =>
  command(
    () => `documents.compactDeltas(${show(doc)}, ${describeClock(pick)})`,
    async (model, real) => {
      count(real, 'compactDeltas');
      const upTo = resolveClock(model, doc, pick);
      expectSame(
        `compactDeltas(upTo ${show(upTo)})`,
        await real.provider.documents.compactDeltas(doc, upTo),
        model.compactDeltas(doc, upTo),
      );
    },
  ),
);

const deleteDocument = arb.documentId.map((doc) =>
  command(
    () => `documents.delete(${show(doc)})`,
    async (model, real) => {
      count(real, 'delete');
      expectSame('delete', await real.provider.documents.delete(doc), model.delete(doc));
    },
  ),
);

const getOrCreate = arb.documentId.map((doc) =>
  command(
    () => `documents.getOrCreate(${show(doc)})`,
    async (model, real) => {
      count(real, 'getOrCreate');
      const document = await real.provider.documents.getOrCreate(doc);
      expectSame(
        'getOrCreate',
        { id: document.id, vectorClock: semanticClock(document.vectorClock), version: document.version },
        { id: doc, vectorClock: semanticClock(model.getOrCreate(doc)), version: model.version(doc) },
      );
    },
  ),
);

/** get, exists, getVectorClock and getSnapshot of one document: every read of its state at once. */
const readDocument = arb.documentId.map((doc) =>
  command(
    () => `documents.get/exists/getVectorClock/getSnapshot(${show(doc)})`,
    async (model, real) => {
      count(real, 'get+exists+getVectorClock+getSnapshot');
      const { documents } = real.provider;
      const [document, exists, clock, snapshot] = [
        await documents.get(doc),
        await documents.exists(doc),
        await documents.getVectorClock(doc),
        await documents.getSnapshot(doc),
      ];
      const expectedSnapshot = model.getSnapshot(doc);
      expectSame(
        'get/exists/getVectorClock/getSnapshot',
        {
          document: document && {
            id: document.id,
            vectorClock: semanticClock(document.vectorClock),
            version: document.version,
          },
          exists,
          clock: semanticClock(clock),
          snapshot: snapshot && { data: Array.from(snapshot.data), vectorClock: semanticClock(snapshot.vectorClock) },
        },
        {
          document: model.exists(doc)
            ? { id: doc, vectorClock: semanticClock(model.getVectorClock(doc)), version: model.version(doc) }
            : null,
          exists: model.exists(doc),
          clock: semanticClock(model.getVectorClock(doc)),
          snapshot: expectedSnapshot && {
            ...expectedSnapshot,
            vectorClock: semanticClock(expectedSnapshot.vectorClock),
          },
        },
      );
    },
  ),
);

const getDocumentIds = fc.tuple(arb.pageSize, arb.cursor).map(([limit, cursor]) =>
  command(
    () => `documents.getDocumentIds({ limit: ${limit}, cursor: ${show(cursor)} })`,
    async (model, real) => {
      count(real, 'getDocumentIds');
      expectSame(
        'getDocumentIds',
        await real.provider.documents.getDocumentIds({ limit, cursor }),
        model.getDocumentIds(limit, cursor),
      );
    },
  ),
);

const iterateDocumentIds = arb.pageSize.map((pageSize) =>
  command(
    () => `documents.iterateDocumentIds({ pageSize: ${pageSize} })`,
    async (model, real) => {
      count(real, 'iterateDocumentIds');
      expectSame(
        'iterateDocumentIds',
        await collect(real.provider.documents.iterateDocumentIds({ pageSize })),
        model.documentIds(),
      );
    },
  ),
);

const awarenessState = arb.payload.filter((state) => JSON.stringify(state).length < 4000);

const setAwareness = fc
  .tuple(
    arb.documentId,
    arb.clientId,
    awarenessState,
    fc.integer({ min: 0, max: 4 }),
    fc.option(arb.connectionId, { nil: undefined }),
  )
  .map(([doc, client, state, clock, connectionId]) =>
    command(
      () =>
        `awareness.set(${show(doc)}, ${show(client)}, ${show(state)}, ${clock}${connectionId === undefined ? '' : `, { connectionId: ${show(connectionId)} }`})`,
      async (model, real) => {
        count(real, 'awareness.set');
        const options = connectionId === undefined ? undefined : { connectionId };
        expectSame(
          'awareness.set',
          await real.provider.awareness.set(doc, client, state, clock, options),
          model.setAwareness(doc, client, state, clock, connectionId ?? null),
        );
      },
    ),
  );

interface EntryView {
  documentId: string;
  clientId: string;
  connectionId: string | null;
  state: JsonValue;
  clock: number;
}
const entryView = ({ documentId, clientId, connectionId, state, clock }: EntryView): EntryView => ({
  documentId,
  clientId,
  connectionId,
  state,
  clock,
});

const readAwareness = fc.tuple(arb.documentId, arb.clientId).map(([doc, client]) =>
  command(
    () => `awareness.get(${show(doc)}, ${show(client)}) and awareness.getAll(${show(doc)})`,
    async (model, real) => {
      count(real, 'awareness.get+getAll');
      const entry = await real.provider.awareness.get(doc, client);
      const expected = model.getAwareness(doc, client);
      expectSame('awareness.get', entry && entryView(entry), expected && entryView(expected));
      expectSame(
        'awareness.getAll',
        (await real.provider.awareness.getAll(doc)).map(entryView),
        model.getAllAwareness(doc).map(entryView),
      );
    },
  ),
);

const removeAwareness = fc.tuple(arb.documentId, arb.clientId).map(([doc, client]) =>
  command(
    () => `awareness.remove(${show(doc)}, ${show(client)})`,
    async (model, real) => {
      count(real, 'awareness.remove');
      expectSame(
        'awareness.remove',
        await real.provider.awareness.remove(doc, client),
        model.removeAwareness(doc, client),
      );
    },
  ),
);

const removeAllForConnection = arb.connectionId.map((connection) =>
  command(
    () => `awareness.removeAllForConnection(${show(connection)})`,
    async (model, real) => {
      count(real, 'awareness.removeAllForConnection');
      expectSame(
        'awareness.removeAllForConnection',
        await real.provider.awareness.removeAllForConnection(connection),
        model.removeAllForConnection(connection),
      );
    },
  ),
);

/** With an hour-long timeout nothing may count as expired during a run. */
const expiredAwareness = fc.constant(
  command(
    () => 'awareness.getExpired() and awareness.pruneExpired()',
    async (_model, real) => {
      count(real, 'awareness.getExpired+pruneExpired');
      expectSame('awareness.getExpired', (await real.provider.awareness.getExpired()).map(entryView), []);
      expectSame('awareness.pruneExpired', await real.provider.awareness.pruneExpired(), 0);
    },
  ),
);

/** Every public call, writes weighted up so that reads have state to read. */
export function storageCommands(maxCommands: number): fc.Arbitrary<Iterable<ModelCommand>> {
  return fc.commands(
    [
      addDelta,
      addDelta,
      addDeltas,
      addDeltas,
      getDeltasSince,
      iterateDeltasSince,
      getDeltasPage,
      getChangesSince,
      getChangesSince,
      getChangesAt,
      getChangesAt,
      saveSnapshot,
      saveSnapshot,
      compactDeltas,
      deleteDocument,
      getOrCreate,
      readDocument,
      getDocumentIds,
      iterateDocumentIds,
      setAwareness,
      setAwareness,
      readAwareness,
      removeAwareness,
      removeAllForConnection,
      expiredAwareness,
    ],
    { maxCommands, size: 'max' },
  );
}
