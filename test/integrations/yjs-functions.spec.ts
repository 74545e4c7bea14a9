import * as Y from 'yjs';
import type { DocumentStore, StoredDelta } from '../../src/index.js';
import { StorageUnavailableError } from '../../src/index.js';
import {
  YjsDeltaWriter,
  catchUpYDoc,
  loadYDoc,
  snapshotYDoc,
  type YjsDeltaWriterErrorContext,
} from '../../src/yjs/index.js';
import { DRIVERS, lazyTargets, type Driver } from '../support/storage-targets.js';
import { TEXT, sameState } from './support/yjs-content.js';

const targets = lazyTargets();
afterAll(() => targets.dispose());

/** A Y.Doc whose every update goes to `writer`, as the extension's capture listener does. */
function writtenDoc(writer: YjsDeltaWriter): Y.Doc {
  const doc = new Y.Doc();
  doc.on('update', (update: Uint8Array) => writer.append(update));
  return doc;
}

/** `documents` whose next `addDeltas` fails, before or after the write commits. */
function failingOnce(documents: DocumentStore, when: 'before commit' | 'after commit'): DocumentStore {
  let failed = false;
  const addDeltas = async (documentId: string, deltas: readonly StoredDelta[]): Promise<number> => {
    if (failed) return documents.addDeltas(documentId, deltas);
    failed = true;
    if (when === 'before commit') throw new StorageUnavailableError('connection lost before commit');
    await documents.addDeltas(documentId, deltas);
    throw new StorageUnavailableError('connection lost before the reply');
  };
  return Object.assign(Object.create(documents) as DocumentStore, { addDeltas });
}

describe.each(DRIVERS)('the Yjs functions on the %s driver', (driver: Driver) => {
  let documents: DocumentStore;
  const errors: YjsDeltaWriterErrorContext[] = [];
  const writerOptions = (writerId: string) => ({
    writerId,
    retryDelayMs: { min: 1, max: 5 },
    onError: (_error: unknown, context: YjsDeltaWriterErrorContext) => errors.push(context),
  });
  const storedIds = async (documentId: string): Promise<string[]> =>
    (await documents.getDeltasSince(documentId, null)).map((delta) => delta.id);

  beforeAll(async () => {
    documents = (await (await targets.get(driver)).createProvider()).documents;
  });
  beforeEach(() => {
    errors.length = 0;
  });

  it("stores a delete-only update as a delta of its own, although it leaves the author's Yjs state vector as it was", async () => {
    const writer = new YjsDeltaWriter(documents, 'deletes', writerOptions('w'));
    const doc = writtenDoc(writer);
    doc.getText(TEXT).insert(0, 'hello world');
    const vectorBefore = Y.encodeStateVector(doc);
    doc.getText(TEXT).delete(0, 6);
    expect(Y.encodeStateVector(doc)).toEqual(vectorBefore);
    await writer.drain();
    expect(await storedIds('deletes')).toEqual(['w:1', 'w:2']);
    const { doc: loaded } = await loadYDoc(documents, 'deletes');
    expect(loaded.getText(TEXT).toString()).toBe('world');
  });

  it('sends a batch whose commit succeeded but whose reply was lost again under the same ids, and it is stored once', async () => {
    const writer = new YjsDeltaWriter(failingOnce(documents, 'after commit'), 'lost-reply', writerOptions('w'));
    const doc = writtenDoc(writer);
    for (const word of ['one ', 'two ', 'three ']) doc.getText(TEXT).insert(0, word);
    await writer.drain();
    expect(errors).toEqual([{ attempt: 1 }]);
    expect(await storedIds('lost-reply')).toEqual(['w:1', 'w:2', 'w:3']);
    expect(sameState((await loadYDoc(documents, 'lost-reply')).doc, doc)).toBe(true);
  });

  it('retries a batch that failed before its commit ahead of every later update, so counters are stored in order', async () => {
    const writer = new YjsDeltaWriter(failingOnce(documents, 'before commit'), 'retry', writerOptions('w'));
    const doc = writtenDoc(writer);
    doc.getText(TEXT).insert(0, 'first ');
    await Promise.resolve(); // the first batch is on its way (and fails) while more updates come
    doc.getText(TEXT).insert(0, 'second ');
    doc.getMap('m').set('third', 3);
    await writer.drain();
    expect(errors).toEqual([{ attempt: 1 }]);
    expect(await storedIds('retry')).toEqual(['w:1', 'w:2', 'w:3']);
  });

  it('stops, and says so once, when the store holds another delta under one of its counters', async () => {
    const foreign = {
      id: 'not-mine',
      clientId: 'w',
      timestamp: 1,
      data: new Uint8Array([0, 0]),
      vectorClock: { w: 1 },
    };
    await documents.addDeltas('taken', [foreign]);
    const writer = new YjsDeltaWriter(documents, 'taken', writerOptions('w'));
    writtenDoc(writer).getText(TEXT).insert(0, 'mine');
    await writer.drain();
    expect(writer.stopped).toBe(true);
    expect(errors).toEqual([{ fatal: true, deltaId: 'w:1' }]);
    expect(await storedIds('taken')).toEqual(['not-mine']);
  });

  it('catches a document up from an old clock after another instance snapshotted and compacted the deltas it lacks', async () => {
    const writer = new YjsDeltaWriter(documents, 'compacted', writerOptions('a'));
    const source = writtenDoc(writer);
    source.getText(TEXT).insert(0, 'one ');
    source.getText(TEXT).insert(4, 'two ');
    await writer.drain();
    const { doc: reader, clock } = await loadYDoc(documents, 'compacted');
    source.getText(TEXT).insert(8, 'three ');
    source.getText(TEXT).delete(0, 4);
    await writer.drain();
    const snapshot = await snapshotYDoc(documents, 'compacted', source, { a: writer.counter });
    expect(snapshot.compacted).toBe(4);
    source.getMap('m').set('after', 'the snapshot');
    await writer.drain();

    const caughtUp = await catchUpYDoc(documents, 'compacted', reader, clock);
    expect(caughtUp).toEqual({ snapshot: true, deltas: 1, bytes: expect.any(Number) });
    expect(clock).toEqual({ a: 5 });
    expect(sameState(reader, source)).toBe(true);
  });
});
