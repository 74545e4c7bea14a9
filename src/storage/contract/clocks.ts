import type { StoredDelta, VectorClock } from './types.js';

/** The pointwise maximum of two clocks, as a new object. */
export function mergeClocks(a: VectorClock, b: VectorClock): Record<string, number> {
  const merged: Record<string, number> = { ...a };
  for (const key of Object.keys(b)) {
    const value = b[key]!;
    if (!(key in merged) || merged[key]! < value) merged[key] = value;
  }
  return merged;
}

/** True when `a[k] >= b[k]` for every key k of `b` (a missing key counts as 0). */
export function clockCovers(a: VectorClock, b: VectorClock): boolean {
  for (const key of Object.keys(b)) {
    if ((a[key] ?? 0) < b[key]!) return false;
  }
  return true;
}

/** True when `clock` has seen `delta`: `clock[delta.clientId] >= delta.vectorClock[delta.clientId]`. */
export function clockCoversDelta(
  clock: VectorClock,
  delta: Pick<StoredDelta, 'clientId' | 'vectorClock'>,
): boolean {
  return (clock[delta.clientId] ?? 0) >= (delta.vectorClock[delta.clientId] ?? 0);
}
