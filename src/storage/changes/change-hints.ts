import type { HintPayload } from './postgres-change-listener.js';

/** Sends payloads on the notification channel (one statement, after the writes it names committed). */
export type SendHints = (payloads: string[]) => Promise<unknown>;

/**
 * The shortest time between two hint statements of one instance. A `NOTIFY` costs the database about what a
 * small write does (a transaction id, a global lock, a commit record) and each listening instance a read of
 * the log; one every 5 ms took 5-7% of a busy instance's write rate (docs/BENCHMARKS.md). The interval is
 * also the most a hint adds to a busy instance's delivery, well inside the feed's budget (50 ms p99).
 */
export const HINT_INTERVAL_MS = 20;

/** Payloads stay well below PostgreSQL's 8000-byte limit. */
const MAX_PAYLOAD_BYTES = 7_000;

/**
 * Tells other instances, after commit, which documents and awareness entries this provider changed. The
 * first hint after a quiet spell goes at once; while writes keep coming, hints wait for the interval (and
 * while one statement is in flight) and then go together, each document once: a busy instance sends at most
 * one small statement per interval, never one per write, and no write waits for it. A hint that fails is
 * dropped: listeners read the change log on their own every `changeFeedMaxDelayMs`.
 */
export class ChangeHintSender {
  private documents = new Set<string>();
  private awareness = new Map<string, [string, string]>();
  private erased: [string, number, number][] = [];
  private sending = false;
  private lastSentAt = -Infinity;

  constructor(
    private readonly origin: string,
    private readonly send: SendHints,
    /** Whether the provider is closed: nothing is sent then. */
    private readonly closed: () => boolean,
  ) {}

  documentChanged(documentId: string): void {
    this.documents.add(documentId);
    this.schedule();
  }

  awarenessChanged(documentId: string, clientId: string): void {
    this.awareness.set(JSON.stringify([documentId, clientId]), [documentId, clientId]);
    this.schedule();
  }

  /** The document was erased, taking `version` and log position `position` (no log row tells it). */
  documentErased(documentId: string, version: number, position: number): void {
    this.erased.push([documentId, version, position]);
    this.schedule();
  }

  private pending(): boolean {
    return this.documents.size > 0 || this.awareness.size > 0 || this.erased.length > 0;
  }

  private schedule(): void {
    if (this.sending || this.closed()) return;
    this.sending = true;
    // Commits answered in the same turn, and all within the interval, go together (one read per listener).
    const wait = Math.max(0, this.lastSentAt + HINT_INTERVAL_MS - performance.now());
    setTimeout(() => void this.flush(), wait).unref();
  }

  private async flush(): Promise<void> {
    if (!this.closed() && this.pending()) {
      this.lastSentAt = performance.now();
      await this.send(this.takePayloads()).catch(() => undefined);
    }
    this.sending = false;
    // Hints that came during the send go at the next interval.
    if (this.pending()) this.schedule();
  }

  private takePayloads(): string[] {
    const documents = [...this.documents];
    const awareness = [...this.awareness.values()];
    const erased = this.erased;
    this.documents = new Set();
    this.awareness = new Map();
    this.erased = [];
    const payloads: string[] = [];
    let current: Required<Omit<HintPayload, 'r'>> = { o: this.origin, d: [], a: [], e: [] };
    let size = 64;
    const cut = (bytes: number): void => {
      if (size + bytes <= MAX_PAYLOAD_BYTES) return;
      payloads.push(encode(current));
      current = { o: this.origin, d: [], a: [], e: [] };
      size = 64;
    };
    for (const documentId of documents) {
      const bytes = Buffer.byteLength(JSON.stringify(documentId)) + 1;
      cut(bytes);
      current.d.push(documentId);
      size += bytes;
    }
    for (const pair of awareness) {
      const bytes = Buffer.byteLength(JSON.stringify(pair)) + 1;
      cut(bytes);
      current.a.push(pair);
      size += bytes;
    }
    for (const each of erased) {
      const bytes = Buffer.byteLength(JSON.stringify(each)) + 1;
      cut(bytes);
      current.e.push(each);
      size += bytes;
    }
    if (current.d.length > 0 || current.a.length > 0 || current.e.length > 0) payloads.push(encode(current));
    return payloads;
  }
}

function encode(payload: Required<Omit<HintPayload, 'r'>>): string {
  const compact: HintPayload = { o: payload.o };
  if (payload.d.length > 0) compact.d = payload.d;
  if (payload.a.length > 0) compact.a = payload.a;
  if (payload.e.length > 0) compact.e = payload.e;
  return JSON.stringify(compact);
}
