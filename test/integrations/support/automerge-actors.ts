import * as A from '@automerge/automerge';
import type { SeededRandom } from '../../fixtures/seeded-random.js';

export type Shape = {
  text: string;
  tags: Record<string, A.ScalarValue>;
  list: number[];
  count: A.Counter;
};

/** One replica: its document and the changes it has made or merged but not stored yet. */
export interface Actor {
  doc: A.Doc<Shape>;
  unsent: Uint8Array[];
}

/** A 32-hex-digit actor id from one byte, so that runs are reproducible. */
export const actorId = (byte: number): string => byte.toString(16).padStart(2, '0').repeat(16);

/** `count` actors that start from one shared first change (stored by the first of them). */
export function startActors(count: number): Actor[] {
  const base = A.from<Shape>(
    { text: 'hello world', tags: {}, list: [], count: new A.Counter(0) },
    { actor: actorId(0xa0) },
  );
  const actors = Array.from({ length: count }, (_, i) => ({
    doc: A.clone(base, { actor: actorId(0xb0 + i) }),
    unsent: [] as Uint8Array[],
  }));
  actors[0]!.unsent.push(...A.getAllChanges(base));
  return actors;
}

/** One random edit: text splices, map sets and deletes, list inserts and deletes, a counter. */
export function editAtRandom(actor: Actor, random: SeededRandom): void {
  const before = actor.doc;
  const roll = random.next();
  actor.doc = A.change(actor.doc, { time: 0 }, (doc) => {
    if (roll < 0.35) A.splice(doc, ['text'], random.below(doc.text.length + 1), 0, random.pick(['a', 'bc', 'δ', '🙂']));
    else if (roll < 0.5 && doc.text.length > 0) A.splice(doc, ['text'], random.below(doc.text.length), 1);
    else if (roll < 0.65) doc.tags[`k${random.below(8)}`] = random.pick([random.below(100), 'v', true, null]);
    else if (roll < 0.72 && Object.keys(doc.tags).length > 0) delete doc.tags[random.pick(Object.keys(doc.tags))];
    else if (roll < 0.82) A.insertAt(doc.list, random.below(doc.list.length + 1), random.below(1000));
    else if (roll < 0.88 && doc.list.length > 0) A.deleteAt(doc.list, random.below(doc.list.length));
    else doc.count.increment(1 + random.below(5));
  });
  actor.unsent.push(...A.getChanges(before, actor.doc));
}

/** `actor` merges what `other` holds: later changes of `actor` then depend on changes of another actor. */
export function mergeFrom(actor: Actor, other: Actor): void {
  actor.doc = A.merge(actor.doc, A.clone(other.doc));
}

/** Takes a random number of the actor's unsent changes, in random order. */
export function takeShuffled(actor: Actor, random: SeededRandom): Uint8Array[] {
  const batch = actor.unsent.splice(0, 1 + random.below(actor.unsent.length));
  for (let i = batch.length - 1; i > 0; i--) {
    const j = random.below(i + 1);
    [batch[i], batch[j]] = [batch[j]!, batch[i]!];
  }
  return batch;
}

/** Every actor's document merged directly, without the store. */
export function mergeDirectly(actors: readonly Actor[]): A.Doc<Shape> {
  return actors.slice(1).reduce((merged, actor) => A.merge(merged, A.clone(actor.doc)), A.clone(actors[0]!.doc));
}

export const sortedHeads = (doc: A.Doc<unknown>): string[] => [...A.getHeads(doc)].sort();
