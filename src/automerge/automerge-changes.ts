import * as A from '@automerge/automerge';
import { counterOf, setCounter } from '../storage/contract/clocks.js';
import type { StoredDelta, VectorClock } from '../storage/contract/types.js';

/**
 * One Automerge change as one binary delta: id = the change hash, author = the actor, own counter =
 * the change's seq. An actor's changes are totally ordered by seq and each depends on the one before,
 * so "clock[actor] >= seq" is exactly the state-vector rule. Dependencies on other actors stay inside
 * the bytes, where `applyChanges` resolves them.
 */
export function automergeChangeToDelta(change: Uint8Array): StoredDelta {
  const { actor, seq, hash, time } = A.decodeChange(change);
  // Automerge keeps seconds; a delta's timestamp is Unix ms (and never negative).
  return {
    id: hash,
    clientId: actor,
    timestamp: Math.max(0, time * 1000),
    data: change,
    vectorClock: { [actor]: seq },
  };
}

/**
 * The clock of what `doc` holds: the highest seq of each actor in its applied history. Changes
 * queued for missing dependencies are not counted, so the clock never claims what the document
 * lacks. Costs the length of the history.
 */
export function automergeClock<T>(doc: A.Doc<T>): VectorClock {
  const clock: Record<string, number> = {};
  for (const { actor, seq } of A.getChangesMetaSince(doc, []))
    if (counterOf(clock, actor) < seq) setCounter(clock, actor, seq);
  return clock;
}

/** Whether the change increments a counter (an `inc` op): the one op Automerge applies to a value that is not one. */
export function hasIncrement(change: Uint8Array): boolean {
  return A.decodeChange(change).ops.some((op) => op.action === 'inc');
}

/**
 * Whether `Automerge.load(Automerge.save(doc))` works. An increment of a value that is not a counter (a
 * string, say) is applied without complaint, but the document's save then fails to load ("mismatching
 * heads"): a snapshot of it would make the document unloadable.
 */
export function savesAndLoads(doc: A.Doc<unknown>): boolean {
  try {
    A.load(A.save(doc), { allowMissingChanges: true });
    return true;
  } catch {
    return false;
  }
}
