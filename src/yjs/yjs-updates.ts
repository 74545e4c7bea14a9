import { randomBytes } from 'node:crypto';
import * as Y from 'yjs';
import { clockCovers, clockCoversDelta, mergeInto, setCounter } from '../storage/contract/clocks.js';
import type { ChangesSince, StoredDelta } from '../storage/contract/types.js';
import { StorageValidationError } from '../storage/contract/errors.js';
import { deltaBytes, ownCounter } from '../integrations/crdt-document-store.js';

const WRITER_ID = /^[A-Za-z0-9._-]{1,100}$/;
/** Room left for the random part of a generated id. */
const PREFIX = /^[A-Za-z0-9._-]{0,80}$/;

/**
 * A fresh writer id: `prefix` and 96 random bits in base64url (16 characters). Short on purpose:
 * the id is repeated in every row's delta id, client id, clock and two indexes.
 */
export function newWriterId(prefix = 'y', argument = 'prefix'): string {
  if (typeof prefix !== 'string' || !PREFIX.test(prefix))
    throw new StorageValidationError(argument, 'must be up to 80 characters of A-Z, a-z, 0-9, ".", "_" or "-"');
  return `${prefix}${randomBytes(12).toString('base64url')}`;
}

/** Rejects a writer id that could not be told apart from the counter in `writer:n` delta ids. */
export function assertWriterId(writerId: unknown, argument = 'writerId'): asserts writerId is string {
  if (typeof writerId !== 'string' || !WRITER_ID.test(writerId))
    throw new StorageValidationError(argument, 'must be 1 to 100 characters of A-Z, a-z, 0-9, ".", "_" or "-"');
}

/**
 * One Yjs update as one binary delta of `writerId`: id `writer:n`, own counter n, and a clock of
 * that one entry (what the writer saw of others is inside the update, not in the row).
 */
export function yjsUpdateToDelta(
  writerId: string,
  counter: number,
  update: Uint8Array,
  timestamp = Date.now(),
): StoredDelta {
  return {
    id: `${writerId}:${counter}`,
    clientId: writerId,
    timestamp,
    data: update,
    vectorClock: { [writerId]: counter },
  };
}

/** What one `applyChangesToYDoc` applied. */
export interface AppliedYjsChanges {
  /** Deltas applied (skipped ones, already covered, do not count). */
  deltas: number;
  /** Their update bytes. */
  bytes: number;
  /** Whether the snapshot was applied. */
  snapshot: boolean;
}

/** Options of `applyChangesToYDoc`. */
export interface ApplyYjsChangesOptions {
  /** The Yjs transaction origin of the one transaction that applies everything. */
  origin?: unknown;
  /**
   * A delta that is not a Yjs update (JSON data, or bytes Yjs refuses). Default: throw. The
   * extension reports and skips it instead, so that one bad row cannot stop every load for good.
   */
  onBadDelta?(error: unknown, delta: StoredDelta): void;
}

const rethrow = (error: unknown): never => {
  throw error;
};

/**
 * Applies a `getChangesSince` answer to `doc` in ONE transaction (one update event, one broadcast)
 * and advances `applied` in place. Only each delta's own entry is merged: a writer stores its deltas
 * in counter order, so "counter n applied" means 1..n are, which no other entry of its clock says.
 */
export function applyChangesToYDoc(
  doc: Y.Doc,
  changes: Pick<ChangesSince, 'snapshot' | 'deltas'>,
  applied: Record<string, number>,
  { origin, onBadDelta = rethrow }: ApplyYjsChangesOptions = {},
): AppliedYjsChanges {
  const result: AppliedYjsChanges = { deltas: 0, bytes: 0, snapshot: false };
  Y.transact(
    doc,
    () => {
      const { snapshot } = changes;
      if (snapshot && !clockCovers(applied, snapshot.vectorClock)) {
        Y.applyUpdate(doc, snapshot.data, origin);
        mergeInto(applied, snapshot.vectorClock);
        result.snapshot = true;
      }
      for (const delta of changes.deltas) {
        if (clockCoversDelta(applied, delta)) continue;
        try {
          const update = deltaBytes(delta, 'Yjs');
          Y.applyUpdate(doc, update, origin);
          result.deltas++;
          result.bytes += update.byteLength;
        } catch (error) {
          onBadDelta(error, delta);
        }
        setCounter(applied, delta.clientId, ownCounter(delta));
      }
    },
    origin,
  );
  return result;
}
