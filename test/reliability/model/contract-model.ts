import type { DeltaData, JsonValue, StoredDelta, VectorClock } from '../../../src/index.js';

/**
 * CONTRACT.md written as plainly as possible: arrays and maps, no indexes, no shortcuts. Clocks are Maps
 * here so that ids such as `constructor` or `__proto__` are ordinary keys. Each method returns what the
 * contract says the call answers, and changes the model as the call must change storage.
 */
export interface ModelDelta {
  id: string;
  clientId: string;
  timestamp: number;
  data: DeltaData;
  vectorClock: Record<string, number>;
}

/** The answer of an `addDeltas` call: how many deltas were new, or the conflict that rejected it. */
export type ModelAddOutcome = number | { conflict: { deltaId: string; existingDeltaId: string } };

export interface ModelSnapshot {
  data: number[];
  clock: Map<string, number>;
}

interface ModelDocument {
  clock: Map<string, number>;
  /** One more for every call that changed what the document holds (the model runs calls one at a time). */
  version: number;
  /** In the order they were added. */
  deltas: ModelDelta[];
  snapshot: ModelSnapshot | null;
}

export interface ModelAwareness {
  documentId: string;
  clientId: string;
  connectionId: string | null;
  state: JsonValue;
  clock: number;
}

export interface ModelChanges {
  snapshot: { data: number[]; vectorClock: Record<string, number> } | null;
  deltas: ModelDelta[];
  vectorClock: Record<string, number>;
}

export class ContractModel {
  private readonly documents = new Map<string, ModelDocument>();
  /** Nothing expires during a run (the providers get an hour-long timeout), so entries are never dropped by time. */
  private readonly awareness: ModelAwareness[] = [];
  /** What each document held right after each of its versions (the run is shorter than any retention). */
  private readonly history = new Map<string, Map<number, ModelChanges>>();

  documentIds(): string[] {
    return sortByCodePoints([...this.documents.keys()]);
  }

  exists(documentId: string): boolean {
    return this.documents.has(documentId);
  }

  getOrCreate(documentId: string): Record<string, number> {
    return toObject(this.documentFor(documentId).clock);
  }

  /** The document's version; 0 for one that does not exist (a document created again starts at 0). */
  version(documentId: string): number {
    return this.documents.get(documentId)?.version ?? 0;
  }

  getVectorClock(documentId: string): Record<string, number> {
    return toObject(this.documents.get(documentId)?.clock ?? new Map());
  }

  delete(documentId: string): boolean {
    removeWhere(this.awareness, (entry) => entry.documentId === documentId);
    this.history.delete(documentId);
    return this.documents.delete(documentId);
  }

  getDocumentIds(limit: number, cursor: string | null): string[] {
    const ids = this.documentIds();
    const after = cursor === null ? ids : ids.filter((id) => compareByCodePoints(id, cursor) > 0);
    return after.slice(0, limit);
  }

  /** The identity rule delta by delta, in order; a conflict rejects the call and changes nothing. */
  addDeltas(documentId: string, deltas: readonly StoredDelta[]): ModelAddOutcome {
    const firstOfEachId: StoredDelta[] = [];
    for (const delta of deltas) if (!firstOfEachId.some((kept) => kept.id === delta.id)) firstOfEachId.push(delta);
    const doc = this.documents.get(documentId);
    const stored = doc?.deltas ?? [];
    const fresh: StoredDelta[] = [];
    for (const [index, delta] of firstOfEachId.entries()) {
      if (stored.some((each) => each.id === delta.id) || snapshotCovers(doc?.snapshot ?? null, delta)) continue;
      const sameEvent = (other: Pick<StoredDelta, 'clientId' | 'vectorClock'>): boolean =>
        other.clientId === delta.clientId && ownCounter(other) === ownCounter(delta);
      const holder = stored.find(sameEvent) ?? firstOfEachId.slice(0, index).find(sameEvent);
      if (holder) return { conflict: { deltaId: delta.id, existingDeltaId: holder.id } };
      fresh.push(delta);
    }
    if (fresh.length === 0) return 0;
    const target = this.documentFor(documentId);
    for (const delta of fresh) {
      target.deltas.push(normalise(delta));
      mergeInto(target.clock, delta.vectorClock);
    }
    target.version++;
    this.remember(documentId);
    return fresh.length;
  }

  getDeltasSince(documentId: string, since: VectorClock | null): ModelDelta[] {
    const deltas = this.documents.get(documentId)?.deltas ?? [];
    return since === null ? [...deltas] : deltas.filter((delta) => !clockCoversDelta(toMap(since), delta));
  }

  getChangesSince(documentId: string, since: VectorClock | null): ModelChanges {
    const doc = this.documents.get(documentId);
    if (!doc) return { snapshot: null, deltas: [], vectorClock: {} };
    const sinceClock = toMap(since ?? {});
    const snapshot = doc.snapshot;
    if (snapshot && !clockCovers(sinceClock, snapshot.clock)) {
      const deltas = doc.deltas.filter(
        (delta) => !clockCoversDelta(snapshot.clock, delta) && !clockCoversDelta(sinceClock, delta),
      );
      return {
        snapshot: { data: [...snapshot.data], vectorClock: toObject(snapshot.clock) },
        deltas,
        vectorClock: toObject(doc.clock),
      };
    }
    return { snapshot: null, deltas: this.getDeltasSince(documentId, since), vectorClock: toObject(doc.clock) };
  }

  /**
   * 'stale' when the stored snapshot's clock is not covered by the new one (nothing changes then); otherwise
   * the snapshot is stored and its clock merged into the document clock.
   */
  saveSnapshot(documentId: string, data: readonly number[], vectorClock: VectorClock): 'saved' | 'stale' {
    const clock = toMap(vectorClock);
    const existing = this.documents.get(documentId);
    if (existing?.snapshot && !clockCovers(clock, existing.snapshot.clock)) return 'stale';
    const doc = this.documentFor(documentId);
    doc.snapshot = { data: [...data], clock };
    mergeInto(doc.clock, vectorClock);
    doc.version++;
    this.remember(documentId);
    return 'saved';
  }

  getSnapshot(documentId: string): { data: number[]; vectorClock: Record<string, number> } | null {
    const snapshot = this.documents.get(documentId)?.snapshot;
    return snapshot ? { data: [...snapshot.data], vectorClock: toObject(snapshot.clock) } : null;
  }

  compactDeltas(documentId: string, upToClock: VectorClock): number {
    const doc = this.documents.get(documentId);
    const snapshot = doc?.snapshot;
    if (!doc || !snapshot) return 0;
    const upTo = toMap(upToClock);
    const removed = removeWhere(
      doc.deltas,
      (delta) => clockCoversDelta(upTo, delta) && clockCoversDelta(snapshot.clock, delta),
    );
    if (removed > 0) {
      doc.version++;
      this.remember(documentId);
    }
    return removed;
  }

  /**
   * The document right after `version` (History): the snapshot it had then and the deltas that snapshot did
   * not cover, with the clock of that content (the snapshot's merged with the deltas'); null when never written.
   */
  getChangesAt(documentId: string, version: number): (ModelChanges & { version: number }) | null {
    const then = this.history.get(documentId)?.get(version);
    if (!then) return null;
    const clock = toMap(then.snapshot?.vectorClock ?? {});
    for (const delta of then.deltas) mergeInto(clock, delta.vectorClock);
    return { ...then, vectorClock: toObject(clock), version };
  }

  private remember(documentId: string): void {
    let versions = this.history.get(documentId);
    if (!versions) this.history.set(documentId, (versions = new Map()));
    const doc = this.documents.get(documentId)!;
    const snapshot = doc.snapshot;
    versions.set(doc.version, {
      snapshot: snapshot && { data: [...snapshot.data], vectorClock: toObject(snapshot.clock) },
      deltas: doc.deltas.filter((delta) => !snapshot || !clockCoversDelta(snapshot.clock, delta)),
      vectorClock: toObject(doc.clock),
    });
  }

  setAwareness(
    documentId: string,
    clientId: string,
    state: JsonValue,
    clock: number,
    connectionId: string | null,
  ): boolean {
    const existing = this.awareness.find((entry) => entry.documentId === documentId && entry.clientId === clientId);
    if (existing && existing.clock >= clock) return false;
    removeWhere(this.awareness, (entry) => entry === existing);
    this.awareness.push({ documentId, clientId, connectionId, state: normaliseJson(state), clock });
    return true;
  }

  getAwareness(documentId: string, clientId: string): ModelAwareness | null {
    return this.awareness.find((entry) => entry.documentId === documentId && entry.clientId === clientId) ?? null;
  }

  getAllAwareness(documentId: string): ModelAwareness[] {
    const entries = this.awareness.filter((entry) => entry.documentId === documentId);
    return entries.sort((a, b) => compareByCodePoints(a.clientId, b.clientId));
  }

  removeAwareness(documentId: string, clientId: string): boolean {
    return removeWhere(this.awareness, (entry) => entry.documentId === documentId && entry.clientId === clientId) > 0;
  }

  removeAllForConnection(connectionId: string): number {
    return removeWhere(this.awareness, (entry) => entry.connectionId === connectionId);
  }

  private documentFor(documentId: string): ModelDocument {
    let doc = this.documents.get(documentId);
    if (!doc) {
      doc = { clock: new Map(), version: 0, deltas: [], snapshot: null };
      this.documents.set(documentId, doc);
    }
    return doc;
  }
}

/** Code-point order, as the contract defines it: compare the sequences of code points. */
export function compareByCodePoints(a: string, b: string): number {
  const x = Array.from(a, (char) => char.codePointAt(0)!);
  const y = Array.from(b, (char) => char.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

export function sortByCodePoints(values: readonly string[]): string[] {
  return [...values].sort(compareByCodePoints);
}

/** What a driver must give back for a value it was given. */
export function normaliseJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** What a driver must give back for a delta: JSON through JSON, bytes as a copy of the same bytes. */
function normalise(delta: StoredDelta): ModelDelta {
  const { id, clientId, timestamp, data, vectorClock } = delta;
  const plain = normaliseJson({ id, clientId, timestamp, vectorClock: { ...vectorClock } });
  return { ...plain, data: data instanceof Uint8Array ? new Uint8Array(data) : normaliseJson(data) };
}

function toMap(clock: VectorClock): Map<string, number> {
  return new Map(Object.entries(clock));
}

/** `Object.fromEntries` defines own properties, so a `__proto__` key stays a key. */
function toObject(clock: Map<string, number>): Record<string, number> {
  return Object.fromEntries(clock);
}

function ownCounter(delta: Pick<StoredDelta, 'clientId' | 'vectorClock'>): number {
  return new Map(Object.entries(delta.vectorClock)).get(delta.clientId) ?? 0;
}

function clockCoversDelta(clock: Map<string, number>, delta: Pick<StoredDelta, 'clientId' | 'vectorClock'>): boolean {
  return (clock.get(delta.clientId) ?? 0) >= ownCounter(delta);
}

function clockCovers(a: Map<string, number>, b: Map<string, number>): boolean {
  return [...b].every(([key, counter]) => (a.get(key) ?? 0) >= counter);
}

function snapshotCovers(snapshot: ModelSnapshot | null, delta: StoredDelta): boolean {
  return snapshot !== null && clockCoversDelta(snapshot.clock, delta);
}

function mergeInto(target: Map<string, number>, clock: VectorClock): void {
  for (const [key, counter] of Object.entries(clock)) target.set(key, Math.max(target.get(key) ?? 0, counter));
}

/** Removes the matching items in place and returns how many went. */
function removeWhere<T>(items: T[], matches: (item: T) => boolean): number {
  const kept = items.filter((item) => !matches(item));
  const removed = items.length - kept.length;
  items.splice(0, items.length, ...kept);
  return removed;
}
