/** Base class of every error this package rejects with. */
export class StorageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input: nothing was written. `argument` names the offending argument or option. */
export class StorageValidationError extends StorageError {
  /** The argument or option that was refused, e.g. `documentId` or `options.maxDeltaBytes`. */
  readonly argument: string;

  constructor(argument: string, problem: string) {
    super(`${argument} ${problem}`);
    this.argument = argument;
  }
}

/** `saveSnapshot` was given a clock that does not cover the stored snapshot's clock. */
export class StaleSnapshotError extends StorageError {
  constructor(documentId: string) {
    super(
      `snapshot for document ${JSON.stringify(documentId)} is stale: its vectorClock does not cover the stored snapshot's`,
    );
  }
}

/**
 * `saveSnapshot` was given a clock with an entry above the document clock's: a snapshot covers only what was
 * stored, and such an entry would make that author's later deltas look covered. Nothing was written.
 */
export class SnapshotAheadError extends StorageError {
  constructor(
    /** The document whose snapshot was refused. */
    readonly documentId: string,
  ) {
    super(
      `snapshot for document ${JSON.stringify(documentId)} runs ahead: its vectorClock has an entry above the document clock's`,
    );
  }
}

/**
 * `getChangesAt` / `forkDocument` asked for a version that was never written, or that is past `historyRetentionMs`
 * (`version` is null for a time before every readable version).
 */
export class HistoryUnavailableError extends StorageError {
  constructor(
    /** The document asked for. */
    readonly documentId: string,
    /** The version asked for (or found for a time); null for a time before every readable version. */
    readonly version: number | null,
  ) {
    super(
      `version ${version === null ? '(at that time)' : version} of document ${JSON.stringify(documentId)} cannot be read: never written, or past history retention`,
    );
  }
}

/** The database is unreachable, timed out, or the provider is closed. The driver's error is kept as `cause`. */
export class StorageUnavailableError extends StorageError {}

/**
 * A delta names an event, `(clientId, own counter)`, that is already stored under another id, or that an
 * earlier delta of the same call uses with another id. Nothing of the call was written.
 */
export class DeltaConflictError extends StorageError {
  constructor(
    /** The document written to. */
    readonly documentId: string,
    /** The id of the refused delta. */
    readonly deltaId: string,
    /** The id under which its event is already stored (or used earlier in the call). */
    readonly existingDeltaId: string,
  ) {
    super(
      `delta ${JSON.stringify(deltaId)} of document ${JSON.stringify(documentId)} repeats the (clientId, counter) of delta ${JSON.stringify(existingDeltaId)}`,
    );
  }
}

/** A write would take a document past a limit of the module options (`limit` names it); nothing was written. */
export class StorageLimitError extends StorageError {
  constructor(
    /** The option whose limit was hit, e.g. `maxDocumentAuthors` or `maxAwarenessEntriesPerDocument`. */
    readonly limit: string,
    message: string,
  ) {
    super(message);
  }
}

/** The awareness limit both drivers enforce: a new client in a document that already has `max` live entries. */
export function awarenessEntriesLimitError(documentId: string, max: number): StorageLimitError {
  return new StorageLimitError(
    'maxAwarenessEntriesPerDocument',
    `document ${JSON.stringify(documentId)} already has ${max} live awareness entries`,
  );
}

/** The document bound both drivers enforce: a write that would give the document more than `max` authors. */
export function documentAuthorsLimitError(documentId: string, max: number): StorageLimitError {
  return new StorageLimitError(
    'maxDocumentAuthors',
    `the write would give document ${JSON.stringify(documentId)} more than ${max} authors (keys of its clock)`,
  );
}
