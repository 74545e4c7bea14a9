import { types } from 'node:util';
import { counterOf, setCounter } from './clocks.js';
import { StorageValidationError } from './errors.js';
import type { StoredDelta, VectorClock } from './types.js';

/** Longest id or clock key, in characters (code points). */
export const MAX_ID_LENGTH = 255;
/** Largest `limit`, `pageSize` or `batchSize`. */
export const MAX_PAGE_SIZE = 10_000;

/** A delta that passed validation; each driver encodes it in its own storage form. */
export interface PreparedDelta {
  id: string;
  clientId: string;
  timestamp: number;
  /** `vectorClock[clientId]`, >= 1. */
  counter: number;
  /** A private copy of the delta's clock. */
  vectorClock: Record<string, number>;
  /** `JSON.stringify(data)` when the data is JSON; null when it is bytes. */
  dataJson: string | null;
  /** A private copy of the data when it is bytes; null when it is JSON. */
  dataBytes: Uint8Array | null;
}

/**
 * The contract's identity rule among deltas not yet stored (one call, or a group of calls): the events
 * `(clientId, counter)` and ids seen, with the id that used each event first.
 */
export class DeltaEvents {
  private readonly owners = new Map<string, string>();
  private readonly ids = new Set<string>();

  /** Records `delta`; returns the id of an earlier delta with its event, if any. */
  claim(delta: PreparedDelta): string | undefined {
    const owner = this.owners.get(eventOf(delta));
    if (owner === undefined) this.owners.set(eventOf(delta), delta.id);
    this.ids.add(delta.id);
    return owner;
  }

  /** Records the deltas when none shares an id or an event with those seen; false (nothing recorded) otherwise. */
  claimApart(deltas: readonly PreparedDelta[]): boolean {
    if (deltas.some((delta) => this.ids.has(delta.id) || this.owners.has(eventOf(delta)))) return false;
    for (const delta of deltas) this.claim(delta);
    return true;
  }
}

const eventOf = (delta: PreparedDelta): string => `${delta.counter}\u0000${delta.clientId}`;

/** The limits a delta is checked against. */
export interface DeltaLimits {
  maxDeltaBytes: number;
  maxClockEntries: number;
  maxJsonDepth: number;
}

const isWellFormed = (value: string): boolean => (value as string & { isWellFormed(): boolean }).isWellFormed();

/** True for `{}` literals and `Object.create(null)`, from any realm; false for arrays, class instances, Dates, Maps. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as object | null;
  return (
    proto === null ||
    (Object.getPrototypeOf(proto) === null && Object.prototype.toString.call(value) === '[object Object]')
  );
}

function codePointLength(value: string): number {
  if (value.length <= MAX_ID_LENGTH) return value.length;
  let count = 0;
  for (const _ of value) count++;
  return count;
}

/** Why a string cannot be an id or clock key, or undefined when it can. */
function idProblem(value: string): string | undefined {
  if (value.length === 0) return 'must not be empty';
  if (codePointLength(value) > MAX_ID_LENGTH) return `must be at most ${MAX_ID_LENGTH} characters`;
  if (value.includes('\u0000')) return 'must not contain U+0000';
  if (!isWellFormed(value)) return 'must not contain a lone surrogate';
  return undefined;
}

/** Whether `value` is a valid id (the test of `checkId`, without an error). */
export const isId = (value: unknown): value is string => typeof value === 'string' && idProblem(value) === undefined;

/** An id (`documentId`, `clientId`, delta id, `connectionId`) or clock key: a non-empty string of at most 255 characters without U+0000. */
export function checkId(argument: string, value: unknown): string {
  if (typeof value !== 'string') throw new StorageValidationError(argument, `must be a string, got ${describe(value)}`);
  const problem = idProblem(value);
  if (problem) throw new StorageValidationError(argument, problem);
  return value;
}

const isCounter = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** A counter: a safe integer >= 0. */
export function checkCounter(argument: string, value: unknown): number {
  if (!isCounter(value))
    throw new StorageValidationError(argument, `must be a safe integer >= 0, got ${describe(value)}`);
  return value;
}

/**
 * A vector clock of at most `maxEntries` keys; returns a private copy holding only its own keys. The key
 * count is checked before any key, and argument names are built only for the key that fails.
 */
export function checkClock(argument: string, value: unknown, maxEntries: number): Record<string, number> {
  const clock: Record<string, number> = {};
  walkClock(argument, value, maxEntries, (key, counter) => setCounter(clock, key, counter));
  return clock;
}

/**
 * `since`: a clock, or null/undefined for "from the beginning". Catch-up only reads it, within the call,
 * so it is checked but not copied: a large client clock costs one pass.
 */
export function checkSince(argument: string, value: unknown, maxEntries: number): VectorClock | null {
  if (value === undefined || value === null) return null;
  walkClock(argument, value, maxEntries);
  return value as VectorClock;
}

/** Checks a clock's shape, size, keys and counters in one pass, reading each counter once. */
function walkClock(
  argument: string,
  value: unknown,
  maxEntries: number,
  take?: (key: string, counter: number) => void,
): void {
  if (!isPlainObject(value))
    throw new StorageValidationError(argument, `must be a plain object, got ${describe(value)}`);
  const keys = Object.keys(value);
  if (keys.length > maxEntries)
    throw new StorageValidationError(argument, `has ${keys.length} entries, over the limit of ${maxEntries}`);
  // Messages name neither the key nor the counter: they are the client's clock.
  for (const key of keys) {
    const problem = idProblem(key);
    if (problem) throw new StorageValidationError(argument, `has a key that ${problem}`);
    const counter = value[key];
    if (!isCounter(counter))
      throw new StorageValidationError(argument, `has a counter that is not a safe integer >= 0 (${kind(counter)})`);
    take?.(key, counter as number);
  }
}

/**
 * A JSON problem found during the walk. It names the nesting depth, not the path: the keys on the way are
 * the client's data, which no message carries.
 */
class JsonProblem {
  constructor(readonly reason: string) {}
}

/** Thrown when the walk has already seen more bytes than the limit allows. */
class OverBudget {}

/** The bounds of a JSON walk; `sizeArgument`/`reportedLimit` name the limit in the error (default: the value's own). */
export interface JsonBounds {
  maxDepth: number;
  maxBytes: number;
  sizeArgument?: string;
  reportedLimit?: number;
}

/**
 * Proves `value` is JSON (no undefined, function, symbol, bigint, NaN, cycle, non-plain object) no deeper
 * than `maxDepth`, and returns `JSON.stringify(value)` unless it is larger than `maxBytes` (UTF-8). The walk
 * counts a lower bound of the JSON's size as it goes, so an input far over the limit is refused after about
 * `maxBytes` of it, before anything is serialised.
 */
export function checkJson(argument: string, value: unknown, bounds: JsonBounds): string {
  if (value === undefined) throw new StorageValidationError(argument, 'must be a JSON value, got undefined');
  const tooLarge = (): StorageValidationError =>
    new StorageValidationError(bounds.sizeArgument ?? argument, overLimit(bounds.reportedLimit ?? bounds.maxBytes));
  const verdict = new JsonCheck(bounds.maxDepth, bounds.maxBytes).verdict(value);
  if (verdict === 'too large') throw tooLarge();
  if (verdict === 'not json') {
    // Only now is the walk repeated with the bookkeeping that names the path and the reason.
    try {
      new JsonWalk(bounds.maxDepth, bounds.maxBytes).visit(value, 0);
    } catch (error) {
      if (error instanceof OverBudget) throw tooLarge();
      if (error instanceof JsonProblem) throw new StorageValidationError(argument, error.reason);
      throw error;
    }
  }
  const json = JSON.stringify(value);
  if (!fitsIn(json, bounds.maxBytes)) throw tooLarge();
  return json;
}

const overLimit = (maxBytes: number): string => `is larger than the limit of ${maxBytes} bytes`;

/**
 * The fast check every write runs: no paths, no try/catch, no cycle bookkeeping (a cycle runs into the
 * depth limit). It says only whether the value is JSON within the bounds; `JsonWalk` explains a failure.
 */
class JsonCheck {
  /** A lower bound of the UTF-8 size of the JSON seen so far. */
  private bytes = 0;
  private tooLarge = false;

  constructor(
    private readonly maxDepth: number,
    private readonly maxBytes: number,
  ) {}

  verdict(value: unknown): 'json' | 'not json' | 'too large' {
    if (this.visit(value, 0)) return 'json';
    return this.tooLarge ? 'too large' : 'not json';
  }

  private visit(value: unknown, depth: number): boolean {
    switch (typeof value) {
      case 'string':
        return this.count(value.length + 2);
      case 'boolean':
        return this.count(4);
      case 'number':
        return Number.isFinite(value) && this.count(1);
      case 'object':
        break;
      default:
        return false;
    }
    if (value === null) return this.count(4);
    if (depth === this.maxDepth) return false;
    if (Array.isArray(value)) {
      if (!this.count(value.length + 1)) return false;
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (item === undefined || !this.visit(item, depth + 1)) return false;
      }
      return true;
    }
    if (!isPlainObject(value)) return false;
    const keys = Object.keys(value);
    if (!this.count(keys.length + 1)) return false;
    for (const key of keys) {
      const item = value[key];
      if (item === undefined || !this.count(key.length + 3) || !this.visit(item, depth + 1)) return false;
    }
    return true;
  }

  private count(bytes: number): boolean {
    this.bytes += bytes;
    if (this.bytes <= this.maxBytes) return true;
    this.tooLarge = true;
    return false;
  }
}

/** The explaining walk, run only after `JsonCheck` failed: it throws the problem with its path. */
class JsonWalk {
  /** A lower bound of the UTF-8 size of the JSON seen so far. */
  private bytes = 0;
  private readonly ancestors: object[] = [];

  constructor(
    private readonly maxDepth: number,
    private readonly maxBytes: number,
  ) {}

  visit(value: unknown, depth: number): void {
    const where = depth === 0 ? '' : ` (at nesting depth ${depth})`;
    switch (typeof value) {
      case 'string':
        // UTF-8 needs at least one byte per UTF-16 unit; two for the quotes.
        return this.count(value.length + 2);
      case 'boolean':
        return this.count(4);
      case 'number':
        if (!Number.isFinite(value)) throw new JsonProblem(`must be JSON: it holds ${value}${where}`);
        return this.count(1);
      case 'undefined':
        throw new JsonProblem(`must be JSON: it holds undefined${where}`);
      case 'object':
        break;
      default:
        throw new JsonProblem(`must be JSON: it holds a ${typeof value}${where}`);
    }
    if (value === null) return this.count(4);
    if (depth === this.maxDepth) throw new JsonProblem(`is nested deeper than the limit of ${this.maxDepth} levels`);
    if (this.ancestors.includes(value)) throw new JsonProblem(`must be JSON: it contains a cycle${where}`);
    if (!Array.isArray(value) && !isPlainObject(value))
      throw new JsonProblem(`must be JSON: it holds ${describe(value)}, not a plain object${where}`);
    this.ancestors.push(value);
    const items = Array.isArray(value) ? value : Object.values(value);
    this.count(items.length + 1 + (Array.isArray(value) ? 0 : Object.keys(value).join('').length + 3 * items.length));
    for (const item of items) this.visit(item, depth + 1);
    this.ancestors.pop();
  }

  private count(bytes: number): void {
    this.bytes += bytes;
    if (this.bytes > this.maxBytes) throw new OverBudget();
  }
}

/** True when `json` is at most `maxBytes` in UTF-8. */
function fitsIn(json: string, maxBytes: number): boolean {
  // UTF-8 needs at least one byte and at most 3 bytes per UTF-16 unit: most strings skip the byte count.
  if (json.length * 3 <= maxBytes) return true;
  return json.length <= maxBytes && Buffer.byteLength(json, 'utf8') <= maxBytes;
}

/** A delta: checks every field, cheapest first. */
export function checkDelta(argument: string, value: unknown, limits: DeltaLimits): PreparedDelta {
  if (!isPlainObject(value))
    throw new StorageValidationError(argument, `must be a delta object, got ${describe(value)}`);
  const delta = value as Partial<StoredDelta>;
  // Argument names are built only on failure: this runs for every delta written.
  const id = isId(delta.id) ? delta.id : checkId(`${argument}.id`, delta.id);
  const clientId = isId(delta.clientId) ? delta.clientId : checkId(`${argument}.clientId`, delta.clientId);
  const timestamp = isCounter(delta.timestamp)
    ? delta.timestamp
    : checkCounter(`${argument}.timestamp`, delta.timestamp);
  const vectorClock = checkClock(`${argument}.vectorClock`, delta.vectorClock, limits.maxClockEntries);
  const counter = counterOf(vectorClock, clientId);
  if (counter < 1)
    throw new StorageValidationError(
      `${argument}.vectorClock`,
      `must hold the author's own counter (vectorClock[clientId] >= 1)`,
    );
  const data: unknown = delta.data;
  if (data === undefined) throw new StorageValidationError(`${argument}.data`, 'must be a JSON value, got undefined');
  const max = limits.maxDeltaBytes;
  // The limit counts the delta's JSON, or for bytes data its length plus the JSON of the rest of the delta.
  const rest = `{"id":${JSON.stringify(id)},"clientId":${JSON.stringify(clientId)},"timestamp":${timestamp},"data":,"vectorClock":${JSON.stringify(vectorClock)}}`;
  const dataMax = max - Buffer.byteLength(rest, 'utf8');
  if (types.isUint8Array(data)) {
    if (data.byteLength > dataMax + ',"data":'.length) throw new StorageValidationError(argument, overLimit(max));
    return { id, clientId, timestamp, counter, vectorClock, dataJson: null, dataBytes: new Uint8Array(data) };
  }
  const dataJson = checkJson(`${argument}.data`, data, {
    maxDepth: limits.maxJsonDepth,
    maxBytes: max,
    sizeArgument: argument,
    reportedLimit: max,
  });
  if (!fitsIn(dataJson, dataMax)) throw new StorageValidationError(argument, overLimit(max));
  return { id, clientId, timestamp, counter, vectorClock, dataJson, dataBytes: null };
}

/** Snapshot bytes: any `Uint8Array` (a Node `Buffer` is one) up to `maxBytes`. */
export function checkSnapshotData(argument: string, value: unknown, maxBytes: number): Uint8Array {
  if (!types.isUint8Array(value))
    throw new StorageValidationError(argument, `must be a Uint8Array, got ${describe(value)}`);
  if (value.byteLength > maxBytes)
    throw new StorageValidationError(argument, `is ${value.byteLength} bytes, over the limit of ${maxBytes}`);
  return value;
}

/** `limit`, `pageSize` or `batchSize`: an integer from 1 to 10000; `fallback` when undefined. */
export function checkPageSize(argument: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_PAGE_SIZE)
    throw new StorageValidationError(argument, `must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${describe(value)}`);
  return value;
}

/** An options bag: undefined, null or a plain object. */
export function checkOptions<T extends object>(argument: string, value: unknown): Partial<T> {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) throw new StorageValidationError(argument, `must be an object, got ${describe(value)}`);
  return value as Partial<T>;
}

/** A paging cursor: null/undefined, or a string PostgreSQL can compare (no U+0000, no lone surrogate). */
export function checkCursor(argument: string, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string')
    throw new StorageValidationError(argument, `must be a string or null, got ${describe(value)}`);
  if (value.includes('\u0000')) throw new StorageValidationError(argument, 'must not contain U+0000');
  if (!isWellFormed(value)) throw new StorageValidationError(argument, 'must not contain a lone surrogate');
  return value;
}

/** The kind of a bad counter, without its value. */
function kind(value: unknown): string {
  if (typeof value !== 'number') return describe(value);
  if (!Number.isFinite(value)) return 'not finite';
  if (!Number.isInteger(value)) return 'a fraction';
  return value < 0 ? 'a negative number' : 'past 2^53';
}

/** Names a bad value's kind for an error message, without echoing its content. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'object') {
    const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name;
    return name ? `a ${name}` : 'an object';
  }
  return `a ${typeof value}`;
}

/** A history point: `{ version }` (a safe integer >= 1) or `{ time }` (a valid Date), nothing else. */
export function checkHistoryPoint(argument: string, value: unknown): { version: number } | { time: number } {
  if (!isPlainObject(value))
    throw new StorageValidationError(argument, `must be { version } or { time }, got ${describe(value)}`);
  const keys = Object.keys(value);
  if (keys.length !== 1 || (keys[0] !== 'version' && keys[0] !== 'time'))
    throw new StorageValidationError(argument, 'must have exactly one key, version or time');
  const record = value as Record<string, unknown>;
  if (keys[0] === 'version') {
    const version = record['version'];
    if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1)
      throw new StorageValidationError(`${argument}.version`, `must be an integer >= 1, got ${describe(version)}`);
    return { version };
  }
  const time = record['time'];
  if (!(time instanceof Date) || Number.isNaN(time.getTime()))
    throw new StorageValidationError(`${argument}.time`, `must be a valid Date, got ${describe(time)}`);
  return { time: time.getTime() };
}
