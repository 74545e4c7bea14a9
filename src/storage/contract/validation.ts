import { types } from 'node:util';
import { counterOf, setCounter } from './clocks.js';
import { StorageValidationError } from './errors.js';
import type { StoredDelta } from './types.js';

/** Longest id or clock key, in characters (code points). */
export const MAX_ID_LENGTH = 255;
/** Largest `limit`, `pageSize` or `batchSize`. */
export const MAX_PAGE_SIZE = 10_000;

/** A delta that passed validation, with the JSON every driver stores computed once. */
export interface PreparedDelta {
  id: string;
  clientId: string;
  timestamp: number;
  /** `vectorClock[clientId]`, >= 1. */
  counter: number;
  /** A private copy of the delta's clock. */
  vectorClock: Record<string, number>;
  /** `JSON.stringify(data)`. */
  dataJson: string;
  /** `JSON.stringify` of the whole delta (id, clientId, timestamp, data, vectorClock). */
  json: string;
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

/** An id (`documentId`, `clientId`, delta id, `connectionId`) or clock key: a non-empty string of at most 255 characters without U+0000. */
export function checkId(argument: string, value: unknown): string {
  if (typeof value !== 'string') throw new StorageValidationError(argument, `must be a string, got ${describe(value)}`);
  if (value.length === 0) throw new StorageValidationError(argument, 'must not be empty');
  if (codePointLength(value) > MAX_ID_LENGTH)
    throw new StorageValidationError(argument, `must be at most ${MAX_ID_LENGTH} characters`);
  if (value.includes('\u0000')) throw new StorageValidationError(argument, 'must not contain U+0000');
  if (!isWellFormed(value)) throw new StorageValidationError(argument, 'must not contain a lone surrogate');
  return value;
}

/** A counter: a safe integer >= 0. */
export function checkCounter(argument: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new StorageValidationError(argument, `must be a safe integer >= 0, got ${describe(value)}`);
  return value;
}

/** A vector clock; returns a private copy holding only its own keys. */
export function checkClock(argument: string, value: unknown): Record<string, number> {
  if (!isPlainObject(value))
    throw new StorageValidationError(argument, `must be a plain object, got ${describe(value)}`);
  const clock: Record<string, number> = {};
  for (const key of Object.keys(value)) {
    checkId(`${argument} key ${JSON.stringify(key)}`, key);
    setCounter(clock, key, checkCounter(`${argument}[${JSON.stringify(key)}]`, value[key]));
  }
  return clock;
}

/** `since`: a clock, or null/undefined for "from the beginning". */
export function checkSince(argument: string, value: unknown): Record<string, number> | null {
  return value === undefined || value === null ? null : checkClock(argument, value);
}

/** Serialises a JSON value after proving it is one (no undefined, function, symbol, bigint, NaN, cycle or non-plain object). */
export function checkJson(argument: string, value: unknown): string {
  if (value === undefined) throw new StorageValidationError(argument, 'must be a JSON value, got undefined');
  try {
    assertJson(argument, value, []);
  } catch (error) {
    if (error instanceof RangeError) throw new StorageValidationError(argument, 'is nested too deeply');
    throw error;
  }
  return JSON.stringify(value);
}

/** Rejects when `json` is larger than `maxBytes` in UTF-8. */
export function checkSize(argument: string, json: string, maxBytes: number): void {
  // UTF-8 needs at most 3 bytes per UTF-16 unit, so short strings skip the byte count.
  if (json.length * 3 <= maxBytes) return;
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > maxBytes)
    throw new StorageValidationError(argument, `is ${bytes} bytes of JSON, over the limit of ${maxBytes}`);
}

function assertJson(path: string, value: unknown, ancestors: object[]): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value))
        throw new StorageValidationError(path, `must be JSON: ${value} is not a finite number`);
      return;
    case 'object':
      break;
    default:
      throw new StorageValidationError(path, `must be JSON: a ${typeof value} is not`);
  }
  if (value === null) return;
  if (ancestors.includes(value)) throw new StorageValidationError(path, 'must be JSON: it contains a cycle');
  ancestors.push(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === undefined) throw new StorageValidationError(`${path}[${i}]`, 'must be JSON, got undefined');
      assertJson(`${path}[${i}]`, item, ancestors);
    }
  } else if (isPlainObject(value)) {
    for (const key of Object.keys(value)) {
      const item = value[key];
      if (item === undefined) throw new StorageValidationError(`${path}.${key}`, 'must be JSON, got undefined');
      assertJson(`${path}.${key}`, item, ancestors);
    }
  } else {
    throw new StorageValidationError(path, `must be JSON: ${describe(value)} is not a plain object`);
  }
  ancestors.pop();
}

/** A delta: checks every field and computes its JSON once. */
export function checkDelta(argument: string, value: unknown, maxBytes: number): PreparedDelta {
  if (!isPlainObject(value))
    throw new StorageValidationError(argument, `must be a delta object, got ${describe(value)}`);
  const delta = value as Partial<StoredDelta>;
  const id = checkId(`${argument}.id`, delta.id);
  const clientId = checkId(`${argument}.clientId`, delta.clientId);
  const timestamp = checkCounter(`${argument}.timestamp`, delta.timestamp);
  const vectorClock = checkClock(`${argument}.vectorClock`, delta.vectorClock);
  const counter = counterOf(vectorClock, clientId);
  if (counter < 1)
    throw new StorageValidationError(
      `${argument}.vectorClock`,
      `must hold the author's own counter (vectorClock[clientId] >= 1)`,
    );
  if (!('data' in delta)) throw new StorageValidationError(`${argument}.data`, 'must be a JSON value, got undefined');
  const dataJson = checkJson(`${argument}.data`, delta.data);
  // join() yields one flat string; a template literal leaves a rope of ~12 pieces that the memory driver would keep.
  const json = [
    '{"id":',
    JSON.stringify(id),
    ',"clientId":',
    JSON.stringify(clientId),
    ',"timestamp":',
    String(timestamp),
    ',"data":',
    dataJson,
    ',"vectorClock":',
    JSON.stringify(vectorClock),
    '}',
  ].join('');
  checkSize(argument, json, maxBytes);
  return { id, clientId, timestamp, counter, vectorClock, dataJson, json };
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
