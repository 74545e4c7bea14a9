import type { ConfigService } from '@nestjs/config';
import type { ChangesAt, ChangesSince, DocumentStore, VectorClock } from 'nest-sync-storage';
import type { AppConfig } from '../config/app.config.js';
import { base64Of, deltaToWire } from './wire-delta.js';

/** How much catch-up one response may carry. */
export interface CatchUpBudget {
  /** The most characters of deltas on one page, unless a single delta is larger. */
  chars: number;
  /** The longest a delta can be on the wire: base64 makes bytes data 4/3 as long; JSON data keeps its size. */
  largestDelta: number;
}

export function catchUpBudget(config: ConfigService<AppConfig, true>): CatchUpBudget {
  const { maxDeltaBytes } = config.get('storage', { infer: true });
  const { maxResponseBytes } = config.get('http', { infer: true });
  return { chars: maxResponseBytes, largestDelta: Math.ceil((maxDeltaBytes * 4) / 3) };
}

export interface DeltasPageJson {
  /** Each delta's JSON, as the client reads it. */
  deltas: string[];
  next: string | null;
}

/**
 * One page of catch-up: at most `limit` deltas and at most the budget's characters (or one delta). Each read
 * asks for no more deltas than the rest of the budget holds at the largest size a delta may have, so that a
 * thousand 1 MiB deltas are never in memory at once; the store's `next` is handed on for the next page.
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
  const fitting = (): number => Math.floor((budget.chars - chars) / budget.largestDelta);
  do {
    const read = Math.min(limit - deltas.length, Math.max(1, fitting()));
    const page = await documents.getDeltasPage(documentId, since, { limit: read, after: next });
    for (const delta of page.deltas) {
      const json = JSON.stringify(deltaToWire(delta));
      deltas.push(json);
      chars += json.length;
    }
    next = page.next;
  } while (next !== null && deltas.length < limit && fitting() >= 1);
  return { deltas, next };
}

/** A page as JSON, delta by delta: no single string holds the whole page. */
export function* pageJson({ deltas, next }: DeltasPageJson): Generator<string> {
  yield '{"deltas":[';
  yield* jsonItems(deltas, (json) => json);
  yield `],"next":${JSON.stringify(next)}}`;
}

/** `getChangesSince`'s answer as JSON, delta by delta: it is not paged, so it may be larger than one string. */
export function* changesJson({ snapshot, deltas, vectorClock }: ChangesSince): Generator<string> {
  const wireSnapshot = snapshot && {
    data: base64Of(snapshot.data),
    vectorClock: snapshot.vectorClock,
    createdAt: snapshot.createdAt,
  };
  yield `{"snapshot":${JSON.stringify(wireSnapshot)},"deltas":[`;
  yield* jsonItems(deltas, (delta) => JSON.stringify(deltaToWire(delta)));
  yield `],"vectorClock":${JSON.stringify(vectorClock)}}`;
}

/** One page of a version's content: the snapshot on the first page only, the deltas' JSON, where to go on. */
export function* versionPageJson(
  { version, snapshot, vectorClock }: ChangesAt,
  first: boolean,
  deltas: readonly string[],
  next: string | null,
): Generator<string> {
  const wireSnapshot = first &&
    snapshot && {
      data: base64Of(snapshot.data),
      vectorClock: snapshot.vectorClock,
      createdAt: snapshot.createdAt,
    };
  yield `{"version":${version},"snapshot":${JSON.stringify(wireSnapshot || null)},"deltas":[`;
  yield* jsonItems(deltas, (json) => json);
  yield `],"vectorClock":${JSON.stringify(vectorClock)},"next":${JSON.stringify(next)}}`;
}

/** The items of a JSON array, each serialised when its turn comes, with the comma before it. */
function* jsonItems<T>(items: readonly T[], toJson: (item: T) => string): Generator<string> {
  for (let i = 0; i < items.length; i++) yield (i === 0 ? '' : ',') + toJson(items[i]!);
}
