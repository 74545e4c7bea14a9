import { Observable, type Subscriber } from 'rxjs';
import { StorageUnavailableError } from '../contract/errors.js';
import { checkId } from '../contract/validation.js';
import type { StorageChange } from '../contract/types.js';

/** A change as a driver announces it; the hub adds where it came from. */
export type ChangeEvent = Omit<StorageChange, 'source'>;

/** How a driver announces a committed change to its provider's feed. */
export type ChangePublisher = (change: ChangeEvent) => void;

/** Called when the first subscriber arrives and when the last one leaves (the postgres listener opens and closes). */
export interface ChangeHubHooks {
  firstSubscribed?(): void;
  lastUnsubscribed?(): void;
}

/**
 * The change feed of one provider: hands each published change to the subscribers of its document and to
 * the all-documents subscribers, in publishing order. `close()` completes every subscription.
 */
export class ChangeHub {
  private readonly byDocument = new Map<string, Set<Subscriber<StorageChange>>>();
  private readonly everything = new Set<Subscriber<StorageChange>>();
  private subscribers = 0;
  private closed = false;

  constructor(private readonly hooks: ChangeHubHooks = {}) {}

  /** Whether anyone listens: a driver may skip building changes nobody receives. */
  get active(): boolean {
    return this.subscribers > 0;
  }

  /** Errors with `StorageValidationError` for a bad document id, as every call does for bad input. */
  changes(documentId?: string): Observable<StorageChange> {
    return new Observable<StorageChange>((subscriber) => {
      if (documentId !== undefined) {
        try {
          checkId('documentId', documentId);
        } catch (error) {
          subscriber.error(error);
          return undefined;
        }
      }
      if (this.closed) {
        subscriber.error(new StorageUnavailableError('the storage provider is closed'));
        return undefined;
      }
      const group = documentId === undefined ? this.everything : this.groupOf(documentId);
      group.add(subscriber);
      if (this.subscribers++ === 0) this.hooks.firstSubscribed?.();
      return () => {
        if (!group.delete(subscriber)) return;
        if (documentId !== undefined && group.size === 0) this.byDocument.delete(documentId);
        if (--this.subscribers === 0) this.hooks.lastUnsubscribed?.();
      };
    });
  }

  publish(change: StorageChange): void {
    if (this.subscribers === 0) return;
    if (change.documentId !== null)
      for (const subscriber of this.byDocument.get(change.documentId) ?? []) subscriber.next(change);
    for (const subscriber of this.everything) subscriber.next(change);
  }

  /** Changes may have been missed: every subscriber is told to catch up. */
  publishResync(source: StorageChange['source']): void {
    for (const [documentId, group] of this.byDocument)
      for (const subscriber of group) subscriber.next({ documentId, kind: 'resync', source });
    for (const subscriber of this.everything) subscriber.next({ documentId: null, kind: 'resync', source });
  }

  /** The feed cannot run as configured: every subscription errors with `error`; a later one tries again. */
  fail(error: Error): void {
    const all = [...this.everything, ...[...this.byDocument.values()].flatMap((group) => [...group])];
    this.everything.clear();
    this.byDocument.clear();
    this.subscribers = 0;
    for (const subscriber of all) subscriber.error(error);
  }

  /** Completes every subscription; later subscriptions error with `StorageUnavailableError`. */
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
