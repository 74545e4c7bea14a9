import type { AwarenessEntry, JsonValue, RelayOptions } from '../storage/contract/types.js';

/** The part of a y-protocols `Awareness` (Hocuspocus's `document.awareness`) that presence reads. */
export interface YAwarenessLike {
  getStates(): Map<number, unknown>;
  readonly meta: Map<number, { clock: number; lastUpdated: number }>;
  on(event: 'update', listener: (changes: AwarenessChanges, origin: unknown) => void): void;
  off(event: 'update', listener: (changes: AwarenessChanges, origin: unknown) => void): void;
}

/** Which clients an awareness update added, updated or removed. */
export interface AwarenessChanges {
  added: number[];
  updated: number[];
  removed: number[];
}

/** The part of a Hocuspocus `Document` that presence and relayed messages use (`/yjs` type-checks without it). */
export interface RelayTargetDocument {
  awareness?: YAwarenessLike;
  /** Applies an awareness update as if from `connection`; Hocuspocus then sends it to this document's clients. */
  applyAwarenessUpdate?(connection: unknown, update: Uint8Array): unknown;
  /** Sends a stateless message to this document's clients without running `beforeBroadcastStateless` again. */
  relayStateless?(payload: string): unknown;
}

/** What presence needs of the storage: the relay, and the awareness rows for joiners and expiry. */
export interface PresenceStorage {
  /** Hands a message to the document's subscribers on every server (`StorageRelay.relay`). */
  relay(documentId: string, message: string, options: RelayOptions): Promise<void>;
  /** Presence rows (an `AwarenessStore`'s calls): written at most once per client per second. */
  readonly awareness?: {
    /** Stores a client's state with its clock, expiring after the store's `awarenessTimeoutMs`. */
    set(documentId: string, clientId: string, state: JsonValue, clock: number): Promise<boolean>;
    /** Removes a client's row (it left). */
    remove(documentId: string, clientId: string): Promise<boolean>;
    /** The document's unexpired rows: what a server loading the document shows its joiners. */
    getAll(documentId: string): Promise<AwarenessEntry[]>;
  };
}

/** One client's awareness as relayed and stored: its y-protocols clock and state (null: it left). */
export type PresenceEntry = [clientId: number, clock: number, state: JsonValue];

/** A relayed message of the Yjs extension (JSON): presence, a stateless broadcast, or "close this document's connections". */
export type YjsRelayMessage = { t: 'a'; c: PresenceEntry[] } | { t: 's'; p: string } | { t: 'c' };

/** How often at most one client's awareness row is written (the relay carries every change at once). */
export const PRESENCE_ROW_INTERVAL_MS = 1000;

/** The sentinel "connection" remote awareness is applied with, so that it is neither relayed nor stored again. */
export const RELAY_CONNECTION = Object.freeze({ relayed: true });

/**
 * The presence of one document open here: it relays the awareness of this server's clients (one message per
 * client change; the storage coalesces a client's changes per window), writes their rows at most once per
 * second and every `refreshMs`, applies what other servers relay, and drops other servers' clients whose rows
 * expired (their server died).
 */
export class DocumentPresence {
  /** Clients connected here, with whether their row needs writing and when it was last written. */
  private readonly local = new Map<number, { dirty: boolean; writtenAt: number }>();
  /** Clients of other servers, with when they were last relayed. */
  private readonly remote = new Map<number, number>();
  private readonly listener = (changes: AwarenessChanges, origin: unknown): void => this.changed(changes, origin);
  private rowTimer: NodeJS.Timeout | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private writing = false;
  private closed = false;

  constructor(
    private readonly documentId: string,
    private readonly document: RelayTargetDocument,
    private readonly awareness: YAwarenessLike,
    private readonly storage: PresenceStorage,
    private readonly from: string,
    private readonly refreshMs: number,
    private readonly report: (error: unknown) => void,
  ) {
    awareness.on('update', this.listener);
    this.refreshTimer = setInterval(() => this.refresh(), refreshMs);
    this.refreshTimer.unref();
  }

  /** Shows the clients other servers stored (a joiner here sees them before they next move). */
  async loadStored(): Promise<void> {
    const rows = await this.storage.awareness?.getAll(this.documentId);
    const entries = (rows ?? []).map((row) => storedEntry(row)).filter((entry) => entry !== null);
    this.applyRemote(entries.filter(([clientId]) => !this.local.has(clientId)));
  }

  /** Applies another server's message for this document. */
  receive(message: YjsRelayMessage): void {
    if (this.closed) return;
    if (message.t === 'a') this.applyRemote(message.c.filter(([clientId]) => !this.local.has(clientId)));
    else if (message.t === 's') this.document.relayStateless?.(message.p);
  }

  close(): void {
    this.closed = true;
    this.awareness.off('update', this.listener);
    clearInterval(this.refreshTimer);
    clearTimeout(this.rowTimer);
  }

  private applyRemote(entries: PresenceEntry[]): void {
    if (entries.length === 0 || !this.document.applyAwarenessUpdate) return;
    const now = Date.now();
    for (const [clientId, , state] of entries) {
      if (state === null) this.remote.delete(clientId);
      else this.remote.set(clientId, now);
    }
    this.document.applyAwarenessUpdate(RELAY_CONNECTION, encodeAwarenessUpdate(entries));
  }

  private changed({ added, updated, removed }: AwarenessChanges, origin: unknown): void {
    if (this.closed || (origin as { connection?: unknown } | null)?.connection === RELAY_CONNECTION) return;
    const states = this.awareness.getStates();
    const entries: PresenceEntry[] = [];
    for (const clientId of [...added, ...updated, ...removed]) {
      // Other servers' clients change here only by y-protocols' own timeout: theirs to relay, not ours.
      if (this.remote.has(clientId) && !this.local.has(clientId)) {
        if (!states.has(clientId)) this.remote.delete(clientId);
        continue;
      }
      const clock = this.awareness.meta.get(clientId)?.clock ?? 0;
      const state = (states.get(clientId) ?? null) as JsonValue;
      entries.push([clientId, clock, state]);
      if (state === null) {
        this.local.delete(clientId);
        this.storage.awareness?.remove(this.documentId, String(clientId)).catch((error) => this.report(error));
      } else {
        const known = this.local.get(clientId);
        this.local.set(clientId, { dirty: true, writtenAt: known?.writtenAt ?? 0 });
        if (!known) this.scheduleRows(0); // a new client's row goes at once, for joiners elsewhere
      }
      void this.storage
        .relay(this.documentId, JSON.stringify({ t: 'a', c: [entries.at(-1)] }), {
          from: this.from,
          key: String(clientId),
        })
        .catch((error) => this.report(error));
    }
    this.scheduleRows(PRESENCE_ROW_INTERVAL_MS);
  }

  /** Writes the dirty rows after `delayMs`; one write run at a time, so a client's row is written at most once per interval. */
  private scheduleRows(delayMs: number): void {
    if (this.rowTimer || this.writing || this.closed || !this.storage.awareness) return;
    this.rowTimer = setTimeout(() => {
      this.rowTimer = undefined;
      void this.writeRows();
    }, delayMs);
    this.rowTimer.unref();
  }

  private async writeRows(): Promise<void> {
    const store = this.storage.awareness;
    if (!store || this.closed) return;
    this.writing = true;
    const states = this.awareness.getStates();
    const now = Date.now();
    // A client's row waits until a second has passed since its last write, whatever brought this run forward.
    const due = [...this.local].filter(([, row]) => row.dirty && now - row.writtenAt >= PRESENCE_ROW_INTERVAL_MS);
    for (const [, row] of due) Object.assign(row, { dirty: false, writtenAt: now });
    try {
      await Promise.all(
        due.map(([clientId]) => {
          const clock = this.awareness.meta.get(clientId)?.clock ?? 0;
          const state = (states.get(clientId) ?? null) as JsonValue;
          if (state === null) return undefined;
          // The row's clock is the write's time: a refresh of an unchanged state must still replace the row.
          return store.set(this.documentId, String(clientId), { c: clock, s: state }, Date.now());
        }),
      );
    } catch (error) {
      this.report(error);
    } finally {
      this.writing = false;
    }
    const waiting = [...this.local.values()].filter((row) => row.dirty);
    if (waiting.length > 0)
      this.scheduleRows(
        Math.max(0, Math.min(...waiting.map((row) => row.writtenAt + PRESENCE_ROW_INTERVAL_MS)) - Date.now()),
      );
  }

  /** Rewrites this server's rows before they expire, and drops other servers' clients whose rows expired. */
  private refresh(): void {
    if (this.closed || !this.storage.awareness) return;
    for (const row of this.local.values()) row.dirty = true;
    this.scheduleRows(0);
    if (this.remote.size === 0) return;
    const seenBefore = Date.now() - PRESENCE_ROW_INTERVAL_MS;
    this.storage.awareness
      .getAll(this.documentId)
      .then((rows) => {
        const live = new Set(rows.map((row) => Number(row.clientId)));
        const gone = [...this.remote].filter(([clientId, seen]) => !live.has(clientId) && seen < seenBefore);
        if (gone.length === 0 || this.closed) return;
        const clock = (clientId: number): number => (this.awareness.meta.get(clientId)?.clock ?? 0) + 1;
        this.applyRemote(gone.map(([clientId]) => [clientId, clock(clientId), null]));
      })
      .catch((error) => this.report(error));
  }
}

/** A stored row as a presence entry, or null when it is not one this extension wrote. */
function storedEntry(row: AwarenessEntry): PresenceEntry | null {
  const clientId = Number(row.clientId);
  const value = row.state as { c?: unknown; s?: unknown } | null;
  if (!Number.isSafeInteger(clientId) || clientId < 0 || typeof value !== 'object' || value === null) return null;
  if (!Number.isSafeInteger(value.c) || (value.c as number) < 0 || value.s === undefined) return null;
  return [clientId, value.c as number, value.s as JsonValue];
}

/** Reads a relayed message of this extension, or null for anything else. */
export function parseYjsRelayMessage(text: string): YjsRelayMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const message = value as { t?: unknown; c?: unknown; p?: unknown } | null;
  if (message?.t === 'c') return { t: 'c' };
  if (message?.t === 's' && typeof message.p === 'string') return { t: 's', p: message.p };
  if (message?.t === 'a' && Array.isArray(message.c) && message.c.every(isPresenceEntry))
    return { t: 'a', c: message.c as PresenceEntry[] };
  return null;
}

function isPresenceEntry(entry: unknown): boolean {
  return (
    Array.isArray(entry) &&
    entry.length === 3 &&
    Number.isSafeInteger(entry[0]) &&
    entry[0] >= 0 &&
    Number.isSafeInteger(entry[1]) &&
    entry[1] >= 0
  );
}

/**
 * y-protocols' awareness update: a count, then per client its id, clock and state as JSON text, each number a
 * lib0 variable-length unsigned integer and the text length-prefixed UTF-8. Written here (a dozen lines) rather
 * than adding y-protocols as a peer of the `/yjs` entry.
 */
export function encodeAwarenessUpdate(entries: readonly PresenceEntry[]): Uint8Array {
  const bytes: number[] = [];
  const writeVarUint = (value: number): void => {
    let rest = value;
    while (rest > 0x7f) {
      bytes.push(0x80 | (rest % 0x80));
      rest = Math.floor(rest / 0x80);
    }
    bytes.push(rest);
  };
  writeVarUint(entries.length);
  for (const [clientId, clock, state] of entries) {
    writeVarUint(clientId);
    writeVarUint(clock);
    const text = new TextEncoder().encode(JSON.stringify(state));
    writeVarUint(text.length);
    for (const byte of text) bytes.push(byte);
  }
  return Uint8Array.from(bytes);
}
