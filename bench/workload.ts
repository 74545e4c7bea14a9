import type { JsonValue, StoredDelta, VectorClock } from '../src/index.js';

export type DeltaWrite = { documentId: string; delta: StoredDelta };

const WORDS =
  'sync servers merge every edit from each client in the order their clocks allow and nobody loses a keystroke'.split(
    ' ',
  );

/** About 200 bytes of JSON shaped like an editor operation, different for every `n`. */
function deltaData(n: number): JsonValue {
  const words = Array.from({ length: 9 }, (_, i) => WORDS[(n + i * 7) % WORDS.length]!);
  return {
    type: 'insert',
    path: ['blocks', n % 64, 'children', n % 7],
    offset: n % 1000,
    text: words.join(' '),
    marks: n % 3 === 0 ? ['bold'] : [],
    cursor: { anchor: n % 500, head: (n + 3) % 500 },
  };
}

export function clientIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `client-${String(i).padStart(2, '0')}`);
}

/**
 * The deltas of one document written by its authors in turn: each carries its author's next counter and
 * what the author had seen of the previous writer, as a client's clock after an edit does.
 */
export class DeltaSequence {
  private readonly clock: Record<string, number> = {};
  private written = 0;

  constructor(
    private readonly authors: readonly string[],
    private readonly seed = 0,
  ) {}

  next(): StoredDelta {
    const n = this.written++;
    const clientId = this.authors[n % this.authors.length]!;
    const previous = this.authors[(n + this.authors.length - 1) % this.authors.length]!;
    const counter = (this.clock[clientId] ?? 0) + 1;
    this.clock[clientId] = counter;
    const vectorClock: Record<string, number> = { [clientId]: counter };
    if (previous !== clientId && this.clock[previous] !== undefined) vectorClock[previous] = this.clock[previous];
    const data = deltaData(this.seed + n);
    return { id: `${clientId}:${counter}`, clientId, timestamp: 1_700_000_000_000 + n, data, vectorClock };
  }

  take(count: number): StoredDelta[] {
    return Array.from({ length: count }, () => this.next());
  }

  clockSoFar(): VectorClock {
    return { ...this.clock };
  }
}

/** `total` deltas spread over `documents` documents in turn, each document written by `clients` clients. */
export function spreadWrites(prefix: string, total: number, documents: number, clients: number): DeltaWrite[] {
  const sequences = Array.from({ length: documents }, (_, k) => new DeltaSequence(clientIds(clients), k * 1000));
  return Array.from({ length: total }, (_, i) => ({
    documentId: `${prefix}/doc-${i % documents}`,
    delta: sequences[i % documents]!.next(),
  }));
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}
