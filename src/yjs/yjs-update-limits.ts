import * as Y from 'yjs';
import { StorageLimitError } from '../storage/contract/errors.js';

/**
 * The WebSocket close codes (and reasons) the extension closes a client's connection with when it
 * refuses an update. Nothing of a refused update is applied, broadcast or stored.
 */
export const YJS_CLOSE_CODES = Object.freeze({
  /** A sync message larger than `maxUpdateBytes`. */
  updateTooLarge: Object.freeze({ code: 4413, reason: 'Update Too Large' }),
  /** An update of more structs than `maxUpdateStructs`, or whose header claims more structs than it holds. */
  updateTooComplex: Object.freeze({ code: 4422, reason: 'Update Too Complex' }),
  /** The update would take the document past `maxDocumentBytes`. */
  documentTooLarge: Object.freeze({ code: 4507, reason: 'Document Too Large' }),
  /** The document's pending structs went past `maxPendingBytes` after this connection's update. */
  tooManyPending: Object.freeze({ code: 4429, reason: 'Too Many Pending Updates' }),
  /** This connection's update left pending items that reuse ids the document already holds. */
  pendingReusesIds: Object.freeze({ code: 4409, reason: 'Update Reuses Ids' }),
  /** The extension stopped storing the document (the store refuses its data): edits are not acknowledged. */
  documentNotStored: Object.freeze({ code: 4503, reason: 'Document Not Stored' }),
});

/** Why an update was refused: a key of `YJS_CLOSE_CODES`. */
export type YjsCloseReason = keyof typeof YJS_CLOSE_CODES;

/**
 * The extension refused a client's update: `limit` names the option, `code` and `reason` are what the
 * connection was closed with (Hocuspocus reads them from the error a hook throws).
 */
export class YjsUpdateRefusedError extends StorageLimitError {
  /** The WebSocket close code the connection was closed with. */
  readonly code: number;
  /** The WebSocket close reason the connection was closed with. */
  readonly reason: string;

  constructor(
    /** The document the update was for. */
    readonly documentId: string,
    /** Which rule refused it. */
    readonly refusal: YjsCloseReason,
    limit: string,
    message: string,
  ) {
    super(limit, `document ${JSON.stringify(documentId)}: ${message}`);
    ({ code: this.code, reason: this.reason } = YJS_CLOSE_CODES[refusal]);
  }
}

/** An update whose structs run past its end: Yjs would allocate for every struct its header claims. */
class TruncatedUpdateError extends Error {}
class TooManyStructsError extends Error {}

/**
 * The number of structs in a Yjs v1 update, read without applying it and stopping at `max + 1`.
 * Throws when the update ends before the structs its header claims (Yjs allocates an array of that
 * many before it notices: 264 MB for an 8-byte update claiming 33M). Costs at most the update's bytes.
 */
export function countYjsStructs(update: Uint8Array, max: number): number | 'malformed' | 'too many' {
  let structs = 0;
  // Yjs reads one info byte per struct; counting there bounds the walk by both the count and the bytes.
  class CountingDecoder extends Y.UpdateDecoderV1 {
    override readInfo(): number {
      if (++structs > max) throw new TooManyStructsError();
      if (this.restDecoder.pos >= this.restDecoder.arr.length) throw new TruncatedUpdateError();
      return super.readInfo();
    }
  }
  try {
    Y.parseUpdateMetaV2(update, CountingDecoder);
  } catch (error) {
    if (error instanceof TooManyStructsError) return 'too many';
    return 'malformed'; // ends early (lib0's "Unexpected end of array", or ours) or is not an update
  }
  return structs;
}
