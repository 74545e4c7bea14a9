/**
 * The Yjs transaction origins the extension applies stored content under. They are Hocuspocus
 * "local" origins; `skipStoreHooks` keeps other extensions' `onStoreDocument` from storing again
 * what came from storage. The capture listener compares them by identity.
 */
export const LOAD_ORIGIN = Object.freeze({
  source: 'local',
  skipStoreHooks: true,
  context: Object.freeze({ nestSyncStorage: 'load' }),
});

/** Updates another instance stored: applied here, never stored again. */
export const REMOTE_ORIGIN = Object.freeze({
  source: 'local',
  skipStoreHooks: true,
  context: Object.freeze({ nestSyncStorage: 'remote' }),
});

/**
 * A remote apply into a document that held pending client structs: Yjs integrates them in the same
 * transaction, so its update carries client content no store has yet, and it is stored.
 */
export const REMOTE_WITH_PENDING_ORIGIN = Object.freeze({
  source: 'local',
  skipStoreHooks: false,
  context: Object.freeze({ nestSyncStorage: 'remote-with-pending' }),
});
