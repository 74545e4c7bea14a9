import { Logger } from '@nestjs/common';
import { StorageValidationError } from '../storage/contract/errors.js';
import type { StorageChangeFeed, StorageRelay } from '../storage/contract/types.js';
import type { PresenceStorage } from './yjs-presence.js';
import type { CrdtDocumentStore } from '../integrations/crdt-document-store.js';
import type { RetryDelays } from './waiting.js';
import { newWriterId } from './yjs-updates.js';

/** What the extension needs of a storage provider: four document calls and the change feed. */
export interface YjsStorage extends StorageChangeFeed {
  /** Relays presence, stateless messages and closes to other servers (both built-in providers have it). */
  readonly relay?: StorageRelay['relay'];
  /** Messages other servers relayed (both built-in providers have it). */
  readonly relayed?: StorageRelay['relayed'];
  /** The document calls the extension makes (a `DocumentStore` has them). */
  readonly documents: CrdtDocumentStore;
  /** Presence rows (a provider's `AwarenessStore`): for joiners on other servers, and expiry when a server dies. */
  readonly awareness?: PresenceStorage['awareness'];
}

/** What the extension was doing when an error reached `onError`. */
export interface YjsStorageErrorContext {
  /** What failed: storing deltas, reading others' changes, applying one, snapshotting, the feed, a refusal. */
  operation: 'store' | 'pull' | 'apply' | 'snapshot' | 'capture' | 'feed' | 'deleted' | 'refuse' | 'relay';
  /** The storage document id, when the error concerns one document. */
  documentId?: string;
  /** Retries so far (`store`, `pull`). */
  attempt?: number;
  /** The extension stopped storing the document (another process writes under this writer id, or its data can never be stored). */
  fatal?: boolean;
  /** The delta concerned (`store`, `apply`). */
  deltaId?: string;
  /** `store`: the store refused the delta (over `maxDeltaBytes`), and a snapshot holding it was stored instead. */
  replacedBySnapshot?: boolean;
}

/** Options of `new YjsStorageExtension(...)`; all but `storage` optional. Checked at construction. */
export interface YjsStorageExtensionOptions {
  /** Where documents live: a `StorageProvider` (from `StorageModule`), or anything with its `documents` calls and `changes()`. */
  storage: YjsStorage;
  /**
   * The start of this server's writer id (default `y`); 96 random bits follow, new for every extension
   * instance. There is no way to fix the whole id: two live processes with one id would name different
   * updates `writer:n` alike, and the store would keep one and drop the other as a resend.
   */
  writerIdPrefix?: string;
  /** The storage document id of a Hocuspocus document name. Default: the name itself. */
  documentId?(documentName: string): string;
  /**
   * Snapshot a document after this many deltas stored since its last snapshot; 0: never by count.
   * Default 500. Either rule waits until the bytes stored since reach half the last snapshot's size,
   * so that the snapshots written stay within a few times the bytes clients send.
   */
  snapshotEveryDeltas?: number;
  /** ... or after this many update bytes; 0: never by size. Default 1 MiB. */
  snapshotEveryBytes?: number;
  /**
   * A client's sync message (an update, or the answer to the server's state vector) larger than this is
   * refused before it is applied: the connection closes with 4413. Default 1 MiB, the store's default
   * `maxDeltaBytes`: a larger update could only be stored inside a snapshot of the whole document.
   */
  maxUpdateBytes?: number;
  /** An update of more structs than this, or whose header claims more than it holds, is refused (4422). Default 100000. */
  maxUpdateStructs?: number;
  /**
   * The bytes one document may take in storage (its snapshot and deltas, as this server counts them):
   * an update that would take it past this is refused before it is applied (4507). Default 32 MiB,
   * half the store's default `maxSnapshotBytes`, so that a snapshot of the document always fits.
   */
  maxDocumentBytes?: number;
  /**
   * The bytes of structs and deletions Yjs may hold pending in one document (waiting for content it
   * lacks; every later update pays for merging them). Past it they are dropped, and the connection whose
   * update took them past it closes (4429). Default 64 KiB.
   */
  maxPendingBytes?: number;
  /** Snapshot a document when it unloads with deltas stored since its last snapshot. Default true. */
  snapshotOnUnload?: boolean;
  /** Delete the deltas a new snapshot covers. Default true. */
  compact?: boolean;
  /** Deltas per `addDeltas` call. Default 256. */
  maxBatch?: number;
  /** Backoff between retries of a failed write or read. Default `{ min: 50, max: 2000 }` ms. */
  retryDelayMs?: RetryDelays;
  /** How long an unload or `close()` waits for queued deltas to be stored. Default 10000 ms. */
  flushTimeoutMs?: number;
  /**
   * How often this server rewrites the presence rows of its clients (and checks other servers' clients for
   * expired rows). Keep it well under the store's `awarenessTimeoutMs`. Default 10000 ms.
   */
  presenceRefreshMs?: number;
  /**
   * Where the default `onError` writes: a Nest `LoggerService` or anything with `warn` and `error`. Default:
   * Nest's `Logger` with the context `YjsStorageExtension` (it follows the app's logger when there is one).
   */
  logger?: YjsStorageLogger;
  /**
   * Reports errors; default: one line through `logger` (`error` when the extension stopped storing a document,
   * `warn` otherwise), with the error's name and message and the context, never document content.
   */
  onError?(error: unknown, context: YjsStorageErrorContext): void;
}

/** What the extension logs through: the part of Nest's `LoggerService` it uses. */
export interface YjsStorageLogger {
  /** An error the extension recovers from (it retries, or skips one bad delta). */
  warn(message: string): void;
  /** The extension stopped storing a document. */
  error(message: string): void;
}

/** The context of the extension's lines in Nest's log. */
export const YJS_STORAGE_LOG_CONTEXT = 'YjsStorageExtension';

/** The extension's options with every default filled in (`YjsStorageExtension.options`). */
export type ResolvedYjsStorageOptions = Required<
  Omit<YjsStorageExtensionOptions, 'storage' | 'writerIdPrefix' | 'logger'>
> & {
  /** Where documents live. */
  storage: YjsStorage;
  /** This extension's writer id: `writerIdPrefix` and 96 random bits. */
  writerId: string;
};

const DEFAULTS = {
  snapshotEveryDeltas: 500,
  snapshotEveryBytes: 1024 * 1024,
  maxUpdateBytes: 1024 * 1024,
  maxUpdateStructs: 100_000,
  maxDocumentBytes: 32 * 1024 * 1024,
  maxPendingBytes: 64 * 1024,
  snapshotOnUnload: true,
  compact: true,
  maxBatch: 256,
  retryDelayMs: { min: 50, max: 2000 },
  flushTimeoutMs: 10_000,
  presenceRefreshMs: 10_000,
};

/** The default `onError`: one line through `logger`, names and messages only. */
function reportTo(logger: YjsStorageLogger): (error: unknown, context: YjsStorageErrorContext) => void {
  return (error, context) => {
    const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const line = `${context.operation} failed ${JSON.stringify(context)}: ${what}`;
    if (context.fatal) logger.error(line);
    else logger.warn(line);
  };
}

/** Fills in the defaults and checks every option, naming the one that is wrong. */
export function resolveYjsStorageOptions(options: YjsStorageExtensionOptions): ResolvedYjsStorageOptions {
  const { storage, writerIdPrefix = 'y', logger = new Logger(YJS_STORAGE_LOG_CONTEXT), ...rest } = options ?? {};
  if (typeof logger?.warn !== 'function' || typeof logger.error !== 'function')
    throw new StorageValidationError('options.logger', 'must have warn() and error() (a Nest LoggerService)');
  if (typeof storage?.changes !== 'function' || typeof storage.documents?.getChangesSince !== 'function')
    throw new StorageValidationError('options.storage', 'must be a storage provider (documents and changes())');
  const resolved: ResolvedYjsStorageOptions = {
    ...DEFAULTS,
    documentId: (documentName) => documentName,
    onError: reportTo(logger),
    ...definedOnly(rest),
    storage,
    writerId: newWriterId(writerIdPrefix, 'options.writerIdPrefix'),
  };
  for (const name of ['snapshotEveryDeltas', 'snapshotEveryBytes', 'flushTimeoutMs'] as const)
    assertInteger(resolved[name], `options.${name}`, 0);
  for (const name of ['maxUpdateBytes', 'maxUpdateStructs', 'maxDocumentBytes', 'maxPendingBytes'] as const)
    assertInteger(resolved[name], `options.${name}`, 1);
  assertInteger(resolved.maxBatch, 'options.maxBatch', 1);
  assertInteger(resolved.presenceRefreshMs, 'options.presenceRefreshMs', 10);
  assertInteger(resolved.retryDelayMs?.min, 'options.retryDelayMs.min', 1);
  assertInteger(resolved.retryDelayMs?.max, 'options.retryDelayMs.max', resolved.retryDelayMs.min);
  for (const name of ['snapshotOnUnload', 'compact'] as const)
    if (typeof resolved[name] !== 'boolean') throw new StorageValidationError(`options.${name}`, 'must be a boolean');
  for (const name of ['documentId', 'onError'] as const)
    if (typeof resolved[name] !== 'function') throw new StorageValidationError(`options.${name}`, 'must be a function');
  return resolved;
}

function assertInteger(value: unknown, argument: string, min: number): void {
  if (!Number.isSafeInteger(value) || (value as number) < min)
    throw new StorageValidationError(argument, `must be an integer >= ${min}`);
}

/** `{ ...defaults, ...options }` where an option explicitly set to undefined keeps its default. */
function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
