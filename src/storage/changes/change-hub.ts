import { Observable, type Subscriber } from 'rxjs';
import { checkCounter, checkId, checkOptions } from '../contract/validation.js';
import { StorageValidationError } from '../contract/errors.js';
import type { ChangesOptions, StorageChange } from '../contract/types.js';

/** A change as a driver announces it; the hub adds where it came from. */
export type ChangeEvent = Omit<StorageChange, 'source'>;

/** How a driver announces a committed change to its provider's feed. */
export type ChangePublisher = (change: ChangeEvent) => void;

/** Told when the feed gains its first subscriber, loses its last one, or a document gains or loses interest. */
export interface ChangeHubHooks {
  firstSubscribed?(): void;
  lastUnsubscribed?(): void;
  /** A document's first own subscriber arrived. */
  documentSubscribed?(documentId: string): void;
  /** A document's last own subscriber left. */
  documentUnsubscribed?(documentId: string): void;
  /** The first all-documents subscriber arrived. */
  everythingSubscribed?(): void;
  /** The last all-documents subscriber left. */
  everythingUnsubscribed?(): void;
  /**
   * A subscriber of `documentId` asked for the changes after `afterVersion` (called after `documentSubscribed`).
   * The driver calls `release` once with what that subscriber missed, in version order (or one `resync` where
   * it cannot be read); the subscriber receives nothing else before.
   */
  resume?(documentId: string, afterVersion: number, release: (missed: StorageChange[]) => void): void;
}

/**
 * The change feed of one provider: hands each published change to the subscribers of its document and to
 * the all-documents subscribers, in publishing order. `close()` completes every subscription. The driver
 * decides what is published and when (versions, order, catch-up); the hub only fans out.
 */
export class ChangeHub {
  private readonly byDocument = new Map<string, Set<Subscriber<StorageChange>>>();
  private readonly everything = new Set<Subscriber<StorageChange>>();
  /** Subscribers waiting for the changes they missed (`afterVersion`): nothing is published to them before. */
  private readonly held = new Set<Subscriber<StorageChange>>();
  private subscribers = 0;
  private closed = false;

  constructor(
    private readonly hooks: ChangeHubHooks = {},
    /** What a subscription made after `close()` errors with. */
    private readonly closedError: () => Error,
  ) {}

  /** Whether anyone listens: a driver may skip building changes nobody receives. */
  get active(): boolean {
    return this.subscribers > 0;
  }

  /** Whether a subscriber would receive a change of `documentId`. */
  follows(documentId: string): boolean {
    return this.everything.size > 0 || this.byDocument.has(documentId);
  }

  /** Whether some subscription follows every document. */
  get followsEverything(): boolean {
    return this.everything.size > 0;
  }

  /** The documents with a subscription of their own. */
  subscribedDocuments(): IterableIterator<string> {
    return this.byDocument.keys();
  }

  /** Errors with `StorageValidationError` for a bad document id or option, as every call does for bad input. */
  changes(documentId?: string, options?: ChangesOptions): Observable<StorageChange> {
    return new Observable<StorageChange>((subscriber) => {
      let afterVersion: number | undefined;
      try {
        if (documentId !== undefined) checkId('documentId', documentId);
        afterVersion = checkAfterVersion(documentId, options);
      } catch (error) {
        subscriber.error(error);
        return undefined;
      }
      if (this.closed) {
        subscriber.error(this.closedError());
        return undefined;
      }
      const group = documentId === undefined ? this.everything : this.groupOf(documentId);
      group.add(subscriber);
      if (afterVersion !== undefined) this.held.add(subscriber);
      if (this.subscribers++ === 0) this.hooks.firstSubscribed?.();
      if (group.size === 1) {
        if (documentId === undefined) this.hooks.everythingSubscribed?.();
        else this.hooks.documentSubscribed?.(documentId);
      }
      if (afterVersion !== undefined) {
        const release = (missed: StorageChange[]) => {
          if (!this.held.delete(subscriber)) return;
          for (const change of missed) subscriber.next(change);
        };
        if (this.hooks.resume) this.hooks.resume(documentId!, afterVersion, release);
        else release([]);
      }
      return () => {
        this.held.delete(subscriber);
        if (!group.delete(subscriber)) return;
        if (documentId !== undefined && group.size === 0) {
          this.byDocument.delete(documentId);
          this.hooks.documentUnsubscribed?.(documentId);
        }
        if (documentId === undefined && group.size === 0) this.hooks.everythingUnsubscribed?.();
        if (--this.subscribers === 0) this.hooks.lastUnsubscribed?.();
      };
    });
  }

  publish(change: StorageChange): void {
    if (this.subscribers === 0) return;
    if (change.documentId !== null)
      for (const subscriber of this.byDocument.get(change.documentId) ?? [])
        if (!this.held.has(subscriber)) subscriber.next(change);
    for (const subscriber of this.everything) subscriber.next(change);
  }

  /** The feed cannot run as configured: every subscription errors with `error`; a later one tries again. */
  fail(error: Error): void {
    const all = [...this.everything, ...[...this.byDocument.values()].flatMap((group) => [...group])];
    this.everything.clear();
    this.byDocument.clear();
    this.held.clear();
    this.subscribers = 0;
    for (const subscriber of all) subscriber.error(error);
  }

  /** Completes every subscription; later subscriptions error with `closedError()`. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const all = [...this.everything, ...[...this.byDocument.values()].flatMap((group) => [...group])];
    for (const subscriber of all) subscriber.complete();
  }

  private groupOf(documentId: string): Set<Subscriber<StorageChange>> {
    let group = this.byDocument.get(documentId);
    if (!group) this.byDocument.set(documentId, (group = new Set()));
    return group;
  }
}

/** `afterVersion`: a version (safe integer >= 0) of one document; an all-documents subscription takes none. */
function checkAfterVersion(documentId: string | undefined, options: unknown): number | undefined {
  const { afterVersion } = checkOptions<ChangesOptions>('options', options);
  if (afterVersion === undefined) return undefined;
  if (documentId === undefined)
    throw new StorageValidationError('options.afterVersion', 'needs a documentId: versions count per document');
  return checkCounter('options.afterVersion', afterVersion);
}
