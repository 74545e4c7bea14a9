import * as A from '@automerge/automerge';
import type { DocumentStore } from '../../src/index.js';
import {
  automergeChangeToDelta,
  canonicalAutomergeSave,
  catchUpAutomergeDoc,
  loadAutomergeDoc,
  saveAutomergeChanges,
  snapshotAutomergeDoc,
  storeAutomergeChanges,
} from '../../src/automerge/index.js';
import { DRIVERS, lazyTargets, type Driver } from '../support/storage-targets.js';
import {
  actorId,
  editAtRandom,
  mergeDirectly,
  mergeFrom,
  sortedHeads,
  startActors,
  takeShuffled,
  type Actor,
  type Shape,
} from './support/automerge-actors.js';
import { seededRandom, withSeed } from '../fixtures/seeded-random.js';

const targets = lazyTargets();

/** A new actor's first change claiming sequence number `seq`: it decodes, but Automerge refuses to apply it. */
function firstChangeWithSeq(seq: number): Uint8Array {
  const doc = A.change(A.init<Shape>({ actor: actorId(0xcc) }), (draft) => void (draft.tags = { z: 1 }));
  return A.encodeChange({ ...A.decodeChange(A.getLastLocalChange(doc)!), seq });
}

/**
 * A document whose `text` is a plain string, and a change of another actor incrementing it: made as an
 * increment of a counter stored under the same op id, then pointed at the string's change. Automerge applies
 * it, but a save of the result no longer loads ("mismatching heads").
 */
function stringAndIncrement(): { doc: A.Doc<Shape>; increment: Uint8Array } {
  const doc = A.change(A.init<Shape>({ actor: actorId(0xa5) }), (draft) => void (draft.text = 'kept'));
  const counted = A.change(A.init<Shape>({ actor: actorId(0xa5) }), (draft) => void (draft.count = new A.Counter(1)));
  const bob = A.change(A.clone(counted, { actor: actorId(0xb5) }), (draft) => void draft.count.increment(2));
  const inc = A.decodeChange(A.getLastLocalChange(bob)!);
  const ops = inc.ops.map((op) => ({ ...op, key: 'text' }));
  const increment = A.encodeChange({ ...inc, ops, deps: [A.decodeChange(A.getLastLocalChange(doc)!).hash] });
  return { doc, increment };
}
afterAll(() => targets.dispose());

const SEEDS = [11, 12];
const STEPS = 300;

/**
 * Four actors edit and now and then merge each other; each stores its changes in random batches, out
 * of order, some twice; halfway the stored state is snapshotted and compacted. Returns the actors.
 */
async function editThroughTheStore(documents: DocumentStore, documentId: string, seed: number): Promise<Actor[]> {
  const random = seededRandom(seed);
  const actors = startActors(4);
  for (let step = 0; step < STEPS; step++) {
    const actor = random.pick(actors);
    const roll = random.next();
    if (roll < 0.7) editAtRandom(actor, random);
    else if (roll < 0.8) mergeFrom(actor, random.pick(actors));
    else if (actor.unsent.length > 0) {
      const batch = takeShuffled(actor, random);
      await storeAutomergeChanges(documents, documentId, batch);
      if (random.next() < 0.3) await storeAutomergeChanges(documents, documentId, batch);
    }
    if (step === STEPS / 2) {
      const { doc } = await loadAutomergeDoc(documents, documentId);
      await snapshotAutomergeDoc(documents, documentId, doc);
    }
  }
  for (const actor of actors) await storeAutomergeChanges(documents, documentId, actor.unsent.splice(0));
  return actors;
}

describe.each(DRIVERS)('Automerge changes as deltas on the %s driver', (driver: Driver) => {
  let documents: DocumentStore;
  beforeAll(async () => {
    documents = (await (await targets.get(driver)).createProvider()).documents;
  });

  describe.each(SEEDS)('actors editing and merging at random, seed %i', (seed) => {
    const documentId = `merged-${seed}`;
    let actors: Actor[];
    let direct: A.Doc<Shape>;
    beforeAll(async () => {
      actors = await editThroughTheStore(documents, documentId, seed);
      direct = mergeDirectly(actors);
    });

    it('load from the store equals merging the actors directly: values, heads and canonical save bytes', () =>
      withSeed(seed, async () => {
        const { doc, fromSnapshot, missingDeps } = await loadAutomergeDoc<Shape>(documents, documentId);
        expect(fromSnapshot).toBe(true);
        expect(missingDeps).toBe(0);
        expect(A.toJS(doc)).toEqual(A.toJS(direct));
        expect(sortedHeads(doc)).toEqual(sortedHeads(direct));
        expect(Buffer.from(canonicalAutomergeSave(doc))).toEqual(Buffer.from(canonicalAutomergeSave(direct)));
      }));

    it('every actor caught up from its own clock equals the direct merge', () =>
      withSeed(seed, async () => {
        for (const actor of actors) {
          const { doc } = await catchUpAutomergeDoc(documents, documentId, A.clone(actor.doc));
          expect(sortedHeads(doc)).toEqual(sortedHeads(direct));
          expect(A.toJS(doc)).toEqual(A.toJS(direct));
        }
      }));

    it('a resend of every change of every actor stores nothing', () =>
      withSeed(seed, async () => {
        const everything = actors.flatMap((actor) => A.getAllChanges(actor.doc));
        expect(await storeAutomergeChanges(documents, documentId, everything)).toBe(0);
      }));
  });

  it('gives save() bytes that depend on the order changes arrived in, and canonical bytes that do not', async () => {
    const [first, second] = startActors(2);
    editAtRandom(first!, seededRandom(1));
    editAtRandom(second!, seededRandom(2));
    const oneWay = A.merge(A.clone(first!.doc), A.clone(second!.doc));
    const otherWay = A.merge(A.clone(second!.doc), A.clone(first!.doc));
    expect(sortedHeads(oneWay)).toEqual(sortedHeads(otherWay));
    expect(Buffer.from(A.save(oneWay))).not.toEqual(Buffer.from(A.save(otherWay)));
    expect(Buffer.from(canonicalAutomergeSave(oneWay))).toEqual(Buffer.from(canonicalAutomergeSave(otherWay)));
  });

  it('keeps a change whose dependency is not stored yet waiting, outside the clock, and never compacts it', async () => {
    const [alice, bob] = startActors(2);
    editAtRandom(alice!, seededRandom(3));
    mergeFrom(bob!, alice!);
    editAtRandom(bob!, seededRandom(4)); // depends on alice's change, which is not stored yet
    await storeAutomergeChanges(documents, 'waiting', [...alice!.unsent.slice(0, 1), ...bob!.unsent]);
    const early = await loadAutomergeDoc(documents, 'waiting');
    expect(early.missingDeps).toBe(1);
    expect(early.clock[actorId(0xb1)]).toBeUndefined();
    await snapshotAutomergeDoc(documents, 'waiting', early.doc);
    expect(await documents.getDeltasSince('waiting', early.clock)).toHaveLength(bob!.unsent.length);

    await storeAutomergeChanges(documents, 'waiting', alice!.unsent.slice(1));
    const later = await loadAutomergeDoc(documents, 'waiting');
    expect(later.missingDeps).toBe(0);
    expect(sortedHeads(later.doc)).toEqual(sortedHeads(A.merge(A.clone(alice!.doc), A.clone(bob!.doc))));
  });

  it('refuses a change Automerge would not apply, naming it, and stores nothing of the call', async () => {
    const [alice] = startActors(1);
    editAtRandom(alice!, seededRandom(5));
    await storeAutomergeChanges(documents, 'guarded', alice!.unsent.splice(0));
    const before = await documents.getChangesSince('guarded', null);
    const good = A.getLastLocalChange(A.change(A.clone(alice!.doc), (doc) => void (doc.tags.ok = 1)))!;
    await expect(storeAutomergeChanges(documents, 'guarded', [good, firstChangeWithSeq(1000)])).rejects.toMatchObject({
      name: 'StorageValidationError',
      argument: 'changes[1]',
    });
    await expect(storeAutomergeChanges(documents, 'guarded', [new Uint8Array([1, 2, 3])])).rejects.toMatchObject({
      name: 'StorageValidationError',
      argument: 'changes[0]',
    });
    expect(await documents.getChangesSince('guarded', null)).toEqual(before);
    expect((await loadAutomergeDoc(documents, 'guarded')).badDeltas).toEqual([]);
  });

  it('skips and reports a stored change Automerge refuses, so the document still loads and catches up', async () => {
    const [alice] = startActors(1);
    editAtRandom(alice!, seededRandom(6));
    const bad = automergeChangeToDelta(firstChangeWithSeq(1000));
    await documents.addDeltas('poisoned', [bad]); // written past the integration, as an older version could
    await storeAutomergeChanges(documents, 'poisoned', alice!.unsent.splice(0), { doc: A.init() });
    const reported: string[] = [];
    const loaded = await loadAutomergeDoc<Shape>(documents, 'poisoned', {
      onBadDelta: (_error, delta) => reported.push(delta.id),
    });
    expect(reported).toEqual([bad.id]);
    expect(loaded.badDeltas).toEqual([bad.id]);
    expect(A.toJS(loaded.doc)).toEqual(A.toJS(alice!.doc));
    const caughtUp = await catchUpAutomergeDoc(documents, 'poisoned', A.init<Shape>(), {});
    expect(caughtUp.badDeltas).toEqual([bad.id]);
    expect(A.toJS(caughtUp.doc)).toEqual(A.toJS(alice!.doc));
  });

  it('refuses a change that increments a value that is not a counter, which would make its snapshots unloadable', async () => {
    const { doc, increment } = stringAndIncrement();
    // Why: Automerge applies it, and the save of the result does not load.
    const [applied] = A.applyChanges(A.clone(doc), [increment]);
    expect(() => A.load(A.save(applied))).toThrow();
    await saveAutomergeChanges(documents, 'not-a-counter', doc);
    const before = await documents.getChangesSince('not-a-counter', null);
    await expect(storeAutomergeChanges(documents, 'not-a-counter', [increment])).rejects.toMatchObject({
      name: 'StorageValidationError',
      argument: 'changes[0]',
    });
    expect(await documents.getChangesSince('not-a-counter', null)).toEqual(before);
  });

  it('skips and reports a stored change that increments a value that is not a counter, so snapshots still load', async () => {
    const { doc, increment } = stringAndIncrement();
    await saveAutomergeChanges(documents, 'incremented-string', doc);
    const bad = automergeChangeToDelta(increment);
    await documents.addDeltas('incremented-string', [bad]); // written past the integration, as an older version could
    const reported: string[] = [];
    const loaded = await loadAutomergeDoc<Shape>(documents, 'incremented-string', {
      onBadDelta: (_error, delta) => reported.push(delta.id),
    });
    expect(reported).toEqual([bad.id]);
    expect(loaded.badDeltas).toEqual([bad.id]);
    expect(A.toJS(loaded.doc)).toEqual({ text: 'kept' });
    await snapshotAutomergeDoc(documents, 'incremented-string', loaded.doc, { compact: false });
    const reloaded = await loadAutomergeDoc<Shape>(documents, 'incremented-string');
    expect(reloaded.fromSnapshot).toBe(true);
    expect(A.toJS(reloaded.doc)).toEqual({ text: 'kept' });
  });

  it('refuses a forked actor, one actor id with two histories, with DeltaConflictError', async () => {
    const [base] = startActors(1);
    const fork = (value: number) =>
      A.change(A.clone(base!.doc, { actor: actorId(0xee) }), (doc) => void (doc.tags.fork = value));
    const [one, other] = [fork(1), fork(2)];
    await saveAutomergeChanges(documents, 'forked', one);
    await expect(saveAutomergeChanges(documents, 'forked', other)).rejects.toMatchObject({
      name: 'DeltaConflictError',
      deltaId: automergeChangeToDelta(A.getLastLocalChange(other)!).id,
    });
  });
});
