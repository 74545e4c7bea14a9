import type { StorageChangeFeed, StorageModuleOptions } from '../../src/index.js';
import type { DeltaWrite } from '../workload.js';
import { startThread, until } from './threads.js';

/** A clock every thread of the process shares (CLOCK_MONOTONIC), in ms: a write on one thread, heard on another. */
export const sharedNow = (): number => Number(process.hrtime.bigint()) / 1e6;

/** A write as the listeners key it: documents share delta ids, so a key holds both. */
export type WriteKey = [documentId: string, deltaId: string];

export const writeKeys = (writes: readonly DeltaWrite[]): WriteKey[] =>
  writes.map(({ documentId, delta }) => [documentId, delta.id]);

const keyOf = (documentId: string | null, deltaId: string): string => `${documentId}\u0000${deltaId}`;

/**
 * Subscriptions of one provider that note when they hear each delta: on the bench's own thread, or on a
 * provider in a worker thread of its own (another instance, whose deliveries cost the writer's event loop
 * nothing, as on a second server).
 */
export interface FeedListeners {
  /** Subscribes to one document, or to all (`null`); the listener's handle. */
  listen(documentId: string | null): Promise<number>;
  /** Whether the listeners heard every write of their documents within `timeoutMs`. */
  heardAll(listeners: readonly number[], writes: readonly WriteKey[], timeoutMs: number): Promise<boolean>;
  /** When (`sharedNow`) the listener heard each write; NaN where it did not. */
  heardAt(listener: number, writes: readonly WriteKey[]): Promise<number[]>;
  unlisten(listeners: readonly number[]): Promise<void>;
  close(): Promise<void>;
}

/** The listeners of one feed, on the thread that calls it. */
export function localListeners(feed: StorageChangeFeed): FeedListeners {
  const listeners = new Map<number, { documentId: string | null; heard: Map<string, number>; stop(): void }>();
  let next = 0;
  const hears = (handles: readonly number[], [documentId, deltaId]: WriteKey): boolean =>
    handles.every((handle) => {
      const listener = listeners.get(handle)!;
      return (listener.documentId ?? documentId) !== documentId || listener.heard.has(keyOf(documentId, deltaId));
    });
  return {
    async listen(documentId) {
      const heard = new Map<string, number>();
      const subscription = feed.changes(documentId ?? undefined).subscribe((change) => {
        const at = sharedNow();
        for (const id of change.deltaIds ?? []) heard.set(keyOf(change.documentId, id), at);
      });
      listeners.set(++next, { documentId, heard, stop: () => subscription.unsubscribe() });
      return next;
    },
    heardAll: (handles, writes, timeoutMs) =>
      until(() => writes.every((write) => hears(handles, write)), 'every write heard', timeoutMs).then(
        () => true,
        () => false,
      ),
    async heardAt(handle, writes) {
      const { heard } = listeners.get(handle)!;
      return writes.map(([documentId, deltaId]) => heard.get(keyOf(documentId, deltaId)) ?? NaN);
    },
    async unlisten(handles) {
      for (const handle of handles) {
        listeners.get(handle)?.stop();
        listeners.delete(handle);
      }
    },
    async close() {
      await this.unlisten([...listeners.keys()]);
    },
  };
}

/** The calls a listening thread answers: the listeners' own (as a type alias, which `startThread`'s handler record accepts). */
export type ListenerHandlers = { [K in keyof FeedListeners]: FeedListeners[K] };

/**
 * A provider with `options` opened in a worker thread (by `StorageModule`, from the built package), and its
 * listeners there; only `close` ends the thread.
 */
export async function workerListeners(options: StorageModuleOptions): Promise<FeedListeners> {
  const thread = startThread<ListenerHandlers>(new URL('./feed-listeners.worker.js', import.meta.url), { options });
  try {
    // The thread answers once its provider is open.
    await thread.call('unlisten', [await thread.call('listen', null)]);
  } catch (error) {
    await thread.terminate();
    throw error;
  }
  return {
    listen: (documentId) => thread.call('listen', documentId),
    heardAll: (handles, writes, timeoutMs) => thread.call('heardAll', handles, writes, timeoutMs),
    heardAt: (handle, writes) => thread.call('heardAt', handle, writes),
    unlisten: (handles) => thread.call('unlisten', handles),
    async close() {
      try {
        await thread.call('close');
      } finally {
        await thread.terminate();
      }
    },
  };
}
