import * as Y from 'yjs';
import type { OpenYDocument, PendingSeen } from './open-y-document.js';
import type { ResolvedYjsStorageOptions } from './yjs-storage.options.js';
import { countYjsStructs, YjsUpdateRefusedError, type YjsCloseReason } from './yjs-update-limits.js';

/** y-protocols' sync message types: step 1 carries a state vector, step 2 and update carry a Yjs update. */
export const SYNC_STEP_1 = 0;

/** The part of a Hocuspocus connection the extension closes (so `/yjs` type-checks without Hocuspocus). */
export interface ClosableConnection {
  /** A read-only connection's updates are never applied (Hocuspocus answers them itself). */
  readonly readOnly?: boolean;
  /** The connection's socket, closed directly when present (Hocuspocus 4's `Connection.webSocket`). */
  readonly webSocket?: {
    /** Closes the socket with a WebSocket close code and reason. */
    close(code?: number, reason?: string): void;
  };
  /** Closes the connection with a close code and reason (the fallback without `webSocket`). */
  close(event?: { code: number; reason: string }): void;
  /** Hocuspocus calls `callback` when the connection closes (its client left, or the server closed it). */
  onClose?(callback: () => void): unknown;
  /** The document the connection is on; it no longer has the connection once it closed. */
  readonly document?: {
    /** Whether the document still holds `connection`. */
    hasConnection?(connection: ClosableConnection): boolean;
  };
}

/** Whether Hocuspocus already closed `connection` (the document dropped it, or its socket is closing). */
export function connectionClosed(connection: ClosableConnection): boolean {
  const { document, webSocket } = connection;
  const socketState = (webSocket as { readyState?: number } | undefined)?.readyState;
  // WebSocket readyState 2 and 3: closing, closed.
  if (typeof socketState === 'number' && socketState >= 2) return true;
  return typeof document?.hasConnection === 'function' && !document.hasConnection(connection);
}

/** What decides whether a client's sync message may be applied. */
export interface SyncMessageToAdmit {
  documentId: string;
  /** The document as open here (undefined while it loads or once the extension closed). */
  open: OpenYDocument | undefined;
  /** Whether this server still stores the document's updates. */
  storing: boolean;
  type: number;
  payload: Uint8Array;
}

/**
 * The refusal of a client's sync message, or null when it may be applied. Checked before Yjs sees it,
 * in this order: size, struct count (a header that claims more structs than the bytes hold included),
 * whether the document is still stored when the update would change it, and the document's size with
 * the update's new content.
 */
export function refusalOf(
  options: ResolvedYjsStorageOptions,
  { documentId, open, storing, type, payload }: SyncMessageToAdmit,
): YjsUpdateRefusedError | null {
  const { maxUpdateBytes, maxUpdateStructs, maxDocumentBytes } = options;
  const refuse = (refusal: YjsCloseReason, limit: string, message: string) =>
    new YjsUpdateRefusedError(documentId, refusal, limit, message);
  if (payload.byteLength > maxUpdateBytes)
    return refuse('updateTooLarge', 'maxUpdateBytes', `a sync message is over ${maxUpdateBytes} bytes`);
  if (type === SYNC_STEP_1) return null;
  const structs = countYjsStructs(payload, maxUpdateStructs);
  if (structs === 'too many')
    return refuse('updateTooComplex', 'maxUpdateStructs', `an update has over ${maxUpdateStructs} structs`);
  if (structs === 'malformed')
    return refuse('updateTooComplex', 'maxUpdateStructs', 'an update claims more structs than it holds');
  // A client that sends only what the document holds (its half of every handshake) may still read it.
  if (!storing && !(open && Y.snapshotContainsUpdate(Y.snapshot(open.doc), payload)))
    return refuse('documentNotStored', 'storage', 'the extension stopped storing the document');
  const room = open ? maxDocumentBytes - open.storedBytes : Infinity;
  if (structs > 0 && payload.byteLength > room && newContentBytes(open!.doc, payload) > room)
    return refuse('documentTooLarge', 'maxDocumentBytes', `the document would be over ${maxDocumentBytes} bytes`);
  return null;
}

/**
 * The bytes `update` would add to `doc`. Cheap when far from the bound (its size); near it, the part
 * the document lacks, so that a client resending what is stored, or deleting, is not refused.
 */
function newContentBytes(doc: Y.Doc, update: Uint8Array): number {
  const diff = Y.diffUpdate(update, Y.encodeStateVector(doc));
  return Y.parseUpdateMeta(diff).to.size === 0 ? 0 : diff.byteLength;
}

/** The bytes of structs and deletions Yjs holds pending in `doc`. */
export function pendingBytes(doc: Y.Doc): number {
  const { pendingStructs, pendingDs } = doc.store;
  return (pendingStructs?.update.byteLength ?? 0) + (pendingDs?.byteLength ?? 0);
}

/** Why a document's pending structs were dropped, and whether the transaction that ended just now caused it. */
export interface PendingDropped {
  refusal: YjsUpdateRefusedError;
  /** The pending structs changed in this transaction: the update applied in it is to blame. */
  byThisTransaction: boolean;
}

/**
 * Runs after every transaction of `doc`. Drops what Yjs holds pending, and answers why, when it is over
 * `maxPendingBytes`, or when pending items reuse ids the document holds integrated: no honest update
 * does that (an item whose start is integrated has its dependencies), and `Y.encodeStateAsUpdate`,
 * which Hocuspocus sends to every client that joins, merges such items over the real ones. Pending
 * content is in no store and was broadcast to no one: a client whose update it was still has it, and
 * sends it again when it reconnects. Reads the pending update only when it changed.
 */
export function checkPending(
  options: ResolvedYjsStorageOptions,
  documentId: string,
  doc: Y.Doc,
  seen: PendingSeen,
): PendingDropped | null {
  const update = doc.store.pendingStructs?.update ?? null;
  const byThisTransaction = update !== seen.update;
  if (byThisTransaction) {
    seen.update = update;
    seen.from = update ? Y.parseUpdateMetaV2(update).from : new Map();
  }
  let refusal: YjsUpdateRefusedError | null = null;
  if (pendingBytes(doc) > options.maxPendingBytes)
    refusal = new YjsUpdateRefusedError(
      documentId,
      'tooManyPending',
      'maxPendingBytes',
      `pending structs went over ${options.maxPendingBytes} bytes and were dropped`,
    );
  else if ([...seen.from].some(([client, clock]) => clock < Y.getState(doc.store, client)))
    refusal = new YjsUpdateRefusedError(
      documentId,
      'pendingReusesIds',
      'update',
      'pending items reuse ids the document holds, and were dropped',
    );
  if (!refusal) return null;
  doc.store.pendingStructs = null;
  doc.store.pendingDs = null;
  seen.update = null;
  seen.from = new Map();
  return { refusal, byThisTransaction };
}

/** The Hocuspocus connection an update came from, read from its Yjs transaction origin. */
export function connectionOf(origin: unknown): ClosableConnection | undefined {
  const { source, connection } = (origin ?? {}) as { source?: unknown; connection?: ClosableConnection };
  return source === 'connection' && typeof connection?.close === 'function' ? connection : undefined;
}

/** Closes the client's WebSocket with the refusal's code and reason, so its provider sees both. */
export function closeWebSocket(
  connection: ClosableConnection | undefined,
  { code, reason }: YjsUpdateRefusedError,
): void {
  try {
    connection?.webSocket?.close(code, reason);
  } catch {
    // already closed
  }
}
