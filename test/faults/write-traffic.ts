import { isDeepStrictEqual } from 'node:util';
import { StorageUnavailableError, type DocumentStore, type StoredDelta } from '../../src/index.js';
import { sleep } from '../fixtures/eventually.js';

/** One write the traffic made, and how it ended. */
export interface WriteOutcome {
  documentId: string;
  /** A single `addDelta`, or the deltas of one `addDeltas` batch (all or nothing). */
  deltas: StoredDelta[];
  status: 'acknowledged' | 'unavailable' | 'other-error' | 'hung';
  error?: unknown;
  /** From the call to its settling (ms); for 'hung', the bound it passed. */
  elapsedMs: number;
}

export interface TrafficOptions {
  documentIds: readonly string[];
  writers: number;
  /** A call that has not settled after this long is recorded as hung. */
  hangBoundMs: number;
  /** Pause after a failed call, so that an outage is not a busy loop. */
  pauseAfterFailureMs?: number;
}

/**
 * Writers that keep adding deltas until stopped: each writer is one client with its own increasing
 * counter, and every third write is a batch of three, so a batch can be checked for all-or-nothing.
 */
export class WriteTraffic {
  readonly outcomes: WriteOutcome[] = [];
  private running = true;
  private readonly done: Promise<void>;

  constructor(
    private readonly documents: DocumentStore,
    private readonly options: TrafficOptions,
    private readonly prefix = 'w',
  ) {
    this.done = Promise.all(
      Array.from({ length: options.writers }, (_, index) => this.write(`${prefix}${index}`)),
    ).then(() => undefined);
  }

  acknowledged(): number {
    return this.outcomes.filter((outcome) => outcome.status === 'acknowledged').length;
  }

  async stop(): Promise<WriteOutcome[]> {
    this.running = false;
    await this.done;
    return this.outcomes;
  }

  private async write(clientId: string): Promise<void> {
    let counter = 0;
    for (let step = 0; this.running; step++) {
      const documentId = this.options.documentIds[step % this.options.documentIds.length]!;
      const size = step % 3 === 2 ? 3 : 1;
      const deltas = Array.from({ length: size }, () => {
        counter++;
        return {
          id: `${clientId}-${counter}`,
          clientId,
          timestamp: Date.now(),
          data: { clientId, counter, documentId },
          vectorClock: { [clientId]: counter },
        } satisfies StoredDelta;
      });
      const outcome = await this.settle(documentId, deltas);
      this.outcomes.push(outcome);
      if (outcome.status !== 'acknowledged') await sleep(this.options.pauseAfterFailureMs ?? 25);
    }
  }

  private async settle(documentId: string, deltas: StoredDelta[]): Promise<WriteOutcome> {
    const started = performance.now();
    const call =
      deltas.length === 1
        ? this.documents.addDelta(documentId, deltas[0]!).then((stored) => stored === true)
        : this.documents.addDeltas(documentId, deltas).then((added) => added === deltas.length);
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<'hung'>((resolve) => {
      timer = setTimeout(() => resolve('hung'), this.options.hangBoundMs);
    });
    try {
      const result = await Promise.race([call, hung]);
      const elapsedMs = performance.now() - started;
      if (result === 'hung') {
        // Keep the call observed, so a late rejection is not unhandled.
        call.catch(() => undefined);
        return { documentId, deltas, status: 'hung', elapsedMs };
      }
      if (!result)
        return {
          documentId,
          deltas,
          status: 'other-error',
          error: new Error('a fresh delta was reported as a resend'),
          elapsedMs,
        };
      return { documentId, deltas, status: 'acknowledged', elapsedMs };
    } catch (error) {
      const elapsedMs = performance.now() - started;
      return {
        documentId,
        deltas,
        status: error instanceof StorageUnavailableError ? 'unavailable' : 'other-error',
        error,
        elapsedMs,
      };
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Checks what storage holds against what the traffic was told: every acknowledged write is there with its
 * content; every other write is wholly there or wholly absent; each document clock is exactly the merge of
 * the deltas it holds. Returns the problems found (empty when all holds).
 */
export async function auditWrites(
  documents: DocumentStore,
  outcomes: readonly WriteOutcome[],
): Promise<{ problems: string[]; deltasChecked: number }> {
  const problems: string[] = [];
  const stored = new Map<string, Map<string, StoredDelta>>();
  for (const documentId of new Set(outcomes.map((outcome) => outcome.documentId))) {
    // One consistent view: the deltas and the clock of the same moment.
    const { deltas, vectorClock } = await documents.getChangesSince(documentId, null);
    stored.set(documentId, new Map(deltas.map((delta) => [delta.id, delta])));
    const expectedClock: Record<string, number> = {};
    for (const delta of deltas) {
      for (const [key, value] of Object.entries(delta.vectorClock))
        expectedClock[key] = Math.max(expectedClock[key] ?? 0, value);
    }
    if (JSON.stringify(sortKeys(vectorClock)) !== JSON.stringify(sortKeys(expectedClock)))
      problems.push(
        `${documentId}: clock ${JSON.stringify(vectorClock)} is not the merge of its deltas ${JSON.stringify(expectedClock)}`,
      );
  }
  let deltasChecked = 0;
  for (const outcome of outcomes) {
    const held = stored.get(outcome.documentId)!;
    const present = outcome.deltas.filter((delta) => held.has(delta.id));
    deltasChecked += outcome.deltas.length;
    for (const delta of present) {
      if (!isDeepStrictEqual(held.get(delta.id), delta))
        problems.push(`${delta.id}: stored content differs from what was sent`);
    }
    if (outcome.status === 'acknowledged' && present.length !== outcome.deltas.length)
      problems.push(
        `acknowledged ${outcome.deltas.map((delta) => delta.id).join(',')} but ${outcome.deltas.length - present.length} missing`,
      );
    if (outcome.status !== 'acknowledged' && present.length !== 0 && present.length !== outcome.deltas.length)
      problems.push(
        `unacknowledged batch ${outcome.deltas.map((delta) => delta.id).join(',')} is partly stored (${present.length}/${outcome.deltas.length})`,
      );
  }
  return { problems, deltasChecked };
}

function sortKeys(clock: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(clock)
      .filter(([, value]) => value !== 0)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}
