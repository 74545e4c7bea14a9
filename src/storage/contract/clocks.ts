import type { StoredDelta, VectorClock } from './types.js';

/**
 * `clock[key]`, or 0 when the clock has no such key of its own: a client id such as `constructor`
 * must not read `Object.prototype.constructor`.
 */
export function counterOf(clock: VectorClock, key: string): number {
  return Object.hasOwn(clock, key) ? clock[key]! : 0;
}

/** Sets `clock[key]` as an own property: plain assignment to `__proto__` would change the prototype instead. */
export function setCounter(clock: Record<string, number>, key: string, value: number): void {
  if (key === '__proto__')
    Object.defineProperty(clock, key, { value, enumerable: true, writable: true, configurable: true });
  else clock[key] = value;
}

/** Merges `clock` into `target` in place (pointwise maximum). */
export function mergeInto(target: Record<string, number>, clock: VectorClock): void {
  for (const key of Object.keys(clock)) {
    const value = clock[key]!;
    if (!Object.hasOwn(target, key) || target[key]! < value) setCounter(target, key, value);
  }
}

/** A copy of `clock` (a key loop: spreading a clock of many keys is several times slower). */
export function copyClock(clock: VectorClock): Record<string, number> {
  const copy: Record<string, number> = {};
  for (const key of Object.keys(clock)) setCounter(copy, key, clock[key]!);
  return copy;
}

/** The pointwise maximum of two clocks, as a new object. */
export function mergeClocks(a: VectorClock, b: VectorClock): Record<string, number> {
  const merged = copyClock(a);
  mergeInto(merged, b);
  return merged;
}

/**
 * The `getChangesSince` rule: when `since` does not cover the snapshot's clock, the snapshot is sent
 * and the deltas are read against the merge of both clocks; returns that clock, or null when no
 * snapshot needs sending (absent, or already seen).
 */
export function clockAfterSnapshot(
  since: VectorClock | null,
  snapshotClock: VectorClock | null | undefined,
): VectorClock | null {
  if (!snapshotClock || clockCovers(since ?? {}, snapshotClock)) return null;
  return since ? mergeClocks(since, snapshotClock) : snapshotClock;
}

/** True when `a[k] >= b[k]` for every key k of `b` (a missing key counts as 0). */
export function clockCovers(a: VectorClock, b: VectorClock): boolean {
  for (const key of Object.keys(b)) {
    if (counterOf(a, key) < b[key]!) return false;
  }
  return true;
}

/** True when `clock` has seen `delta`: `clock[delta.clientId] >= delta.vectorClock[delta.clientId]`. */
export function clockCoversDelta(clock: VectorClock, delta: Pick<StoredDelta, 'clientId' | 'vectorClock'>): boolean {
  return counterOf(clock, delta.clientId) >= counterOf(delta.vectorClock, delta.clientId);
}
