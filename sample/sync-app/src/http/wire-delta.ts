import type { StoredDelta } from 'nest-sync-storage';
import { badArgument } from './api-exception.js';

/** A delta as JSON carries it: bytes data travels as base64 in `dataBase64`, in place of `data`. */
export type WireDelta = Omit<StoredDelta, 'data'> & ({ data: StoredDelta['data'] } | { dataBase64: string });

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The delta a client sent, with `dataBase64` decoded into bytes. Anything else passes as it came, for the
 * store to judge and name; `argument` names the delta in errors (`delta`, `deltas[3]`).
 */
export function deltaFromWire(value: unknown, argument: string): unknown {
  if (!isObject(value) || !('dataBase64' in value)) return value;
  const { dataBase64, ...delta } = value;
  if ('data' in delta) throw badArgument(`${argument}.dataBase64`, 'must not be sent together with data');
  return { ...delta, data: decodeBase64(`${argument}.dataBase64`, dataBase64) };
}

/** The delta as a client reads it: bytes data as `dataBase64`, JSON data unchanged. */
export function deltaToWire(delta: StoredDelta): WireDelta {
  if (!(delta.data instanceof Uint8Array)) return delta as WireDelta;
  const { data, ...rest } = delta;
  return { ...rest, dataBase64: base64Of(data) };
}

/** Bytes as standard base64, without copying them first. */
export function base64Of(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Standard base64 with padding (RFC 4648, section 4); Node's decoder would skip what is not, silently. */
function decodeBase64(argument: string, value: unknown): Buffer {
  if (typeof value === 'string' && value.length % 4 === 0) {
    const bytes = Buffer.from(value, 'base64');
    // Only the canonical spelling of the bytes encodes back to itself.
    if (bytes.toString('base64') === value) return bytes;
  }
  throw badArgument(argument, 'must be a string of standard base64 with padding');
}
