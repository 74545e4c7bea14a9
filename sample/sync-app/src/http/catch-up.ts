import type { ChangesSince, DocumentStore, VectorClock } from 'nest-sync-storage';
import { deltaToWire } from './wire-delta.js';

/** How much catch-up one response may carry, and how many deltas to read at a time to stay near it. */
export interface CatchUpBudget {
  /** About how many characters of deltas one page holds (a page always holds at least one delta). */
  chars: number;
  /** Deltas per read: as many as fit in `chars` at the largest size a delta may have on the wire. */
  readSize: number;
}

export function catchUpBudget(maxDeltaBytes: number, maxResponseBytes: number): CatchUpBudget {
  // Base64 makes bytes data 4/3 as long; JSON data is at most its stored size.
  const largestDelta = Math.ceil((maxDeltaBytes * 4) / 3);
  return { chars: maxResponseBytes, readSize: Math.max(1, Math.floor(maxResponseBytes / largestDelta)) };
}

export interface DeltasPageJson {
  /** Each delta's JSON, as the client reads it. */
  deltas: string[];
  next: string | null;
}

/**
 * One page of catch-up: at most `limit` deltas, ending once the page has reached the budget. It reads in
 * steps no larger than the budget allows for the largest deltas, so that a page of a thousand 1 MiB deltas
 * is never in memory at once, and hands on the store's `next`, so that the client pages on from there.
 */
export async function readDeltasPage(
  documents: DocumentStore,
  documentId: string,
  since: VectorClock | null,
  { limit, after }: { limit: number; after: string | null },
  budget: CatchUpBudget,
): Promise<DeltasPageJson> {
  const deltas: string[] = [];
  let chars = 0;
  let next = after;
  do {
    const read = Math.min(limit - deltas.length, budget.readSize);
    const page = await documents.getDeltasPage(documentId, since, { limit: read, after: next });
    for (const delta of page.deltas) {
      const json = JSON.stringify(deltaToWire(delta));
      deltas.push(json);
      chars += json.length;
    }
    next = page.next;
  } while (next !== null && deltas.length < limit && chars < budget.chars);
  return { deltas, next };
}

export function* pageJson({ deltas, next }: DeltasPageJson): Generator<string> {
  yield '{"deltas":[';
  yield deltas.join(',');
  yield `],"next":${JSON.stringify(next)}}`;
}

/** `getChangesSince`'s answer as JSON, delta by delta: it is not paged, so it may be larger than one string. */
export function* changesJson({ snapshot, deltas, vectorClock }: ChangesSince): Generator<string> {
  const wireSnapshot = snapshot && {
    data: Buffer.from(snapshot.data.buffer, snapshot.data.byteOffset, snapshot.data.byteLength).toString('base64'),
    vectorClock: snapshot.vectorClock,
    createdAt: snapshot.createdAt,
  };
  yield `{"snapshot":${JSON.stringify(wireSnapshot)},"deltas":[`;
  for (let i = 0; i < deltas.length; i++) yield (i === 0 ? '' : ',') + JSON.stringify(deltaToWire(deltas[i]!));
  yield `],"vectorClock":${JSON.stringify(vectorClock)}}`;
}
