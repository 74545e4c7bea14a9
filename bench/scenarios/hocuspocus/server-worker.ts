// One Hocuspocus server of the Hocuspocus scenario, in a thread of its own as a server is a process of its own in
// production: its provider opened from the built package on the bench's database, its presence row writes
// counted, and what reaches its provider through the relay timed.
import { Server } from '@hocuspocus/server';
import { workerData } from 'node:worker_threads';
import type { Subscription } from 'rxjs';
// The built entries, by their names, as the rest of the bench loads the package.
import {
  openStorageProvider,
  type DocumentStore,
  type StorageModuleOptions,
  type StorageProvider,
  type StorageRelay,
} from 'nest-sync-storage';
import { YjsStorageExtension, type YjsStorage } from 'nest-sync-storage/yjs';
import { serve } from './threads.js';

/** What the parent gives each server thread. */
export type ServerThreadData = { index: number; options: StorageModuleOptions };

const { index, options } = workerData as ServerThreadData;
type Relaying = StorageProvider & StorageRelay;

/** While on, what an update's storing costs here: `beforeSync` of each update, and each `addDeltas` of the writers. */
const timing = { on: false, syncs: [] as number[], commits: [] as number[], batches: [] as number[] };

/** The provider's documents, each `addDeltas` timed while `timing` is on. */
function timedDocuments(documents: DocumentStore): DocumentStore {
  return new Proxy(documents, {
    get(target, name) {
      const value: unknown = Reflect.get(target, name, target);
      if (name !== 'addDeltas' || typeof value !== 'function')
        return typeof value === 'function' ? value.bind(target) : value;
      return async (...args: Parameters<DocumentStore['addDeltas']>) => {
        const started = performance.now();
        const stored = await (value as DocumentStore['addDeltas']).apply(target, args);
        if (timing.on) {
          timing.commits.push(performance.now() - started);
          timing.batches.push(args[1].length);
        }
        return stored;
      };
    },
  });
}

/** A server's storage whose presence row writes are counted (the database sees exactly these). */
function countedStorage(provider: Relaying, rowWrites: { count: number }): YjsStorage {
  const { awareness } = provider;
  return {
    documents: timedDocuments(provider.documents),
    changes: (documentId) => provider.changes(documentId),
    relay: (documentId, message, relayOptions) => provider.relay(documentId, message, relayOptions),
    relayed: (documentId) => provider.relayed(documentId),
    awareness: {
      getAll: (documentId) => awareness.getAll(documentId),
      remove: (documentId, clientId) => awareness.remove(documentId, clientId),
      set: (documentId, clientId, state, clock) => {
        rowWrites.count++;
        return awareness.set(documentId, clientId, state, clock);
      },
    },
  };
}

// Start-up lines stay quiet; the database misbehaving is told.
const logger = {
  log: () => undefined,
  warn: (message: string) => void process.stderr.write(`[server ${index}] ${message}\n`),
};
const rowWrites = { count: 0 };
let provider: Relaying | null = null;
let server: Server | null = null;
/** Arrival delays (ms) at this provider of cursor moves made on other servers, while watched. */
let arrivals: number[] = [];
let watching: Subscription | null = null;

const handlers = {
  /** Opens the provider and starts Hocuspocus on a free port; answers the port. */
  async start(): Promise<number> {
    provider = await openStorageProvider(options, { logger });
    const storage = countedStorage(provider, rowWrites);
    const extension = new YjsStorageExtension({ storage, writerIdPrefix: `bench${index}.`, onError: () => undefined });
    const beforeSync = extension.beforeSync.bind(extension);
    extension.beforeSync = async (payload) => {
      const started = performance.now();
      await beforeSync(payload);
      if (timing.on && payload.type !== 0) timing.syncs.push(performance.now() - started);
    };
    server = new Server({ name: `${index}`, port: 0, quiet: true, stopOnSignals: false, extensions: [extension] });
    await server.listen();
    return (server.address as { port: number }).port;
  },
  rowWrites: (): number => rowWrites.count,
  /** Starts timing what storing the clients' updates costs here (see `timing`). */
  startTiming(): void {
    Object.assign(timing, { on: true, syncs: [], commits: [], batches: [] });
  },
  /** Stops timing; answers the times (ms) of each update's `beforeSync` and each commit, and each commit's deltas. */
  takeTiming(): { syncs: number[]; commits: number[]; batches: number[] } {
    timing.on = false;
    return { syncs: timing.syncs, commits: timing.commits, batches: timing.batches };
  },
  /** Starts timing cursor moves of other servers' clients that reach this provider's relay for `documentName`. */
  watchArrivals(documentName: string): void {
    watching?.unsubscribe();
    arrivals = [];
    watching = provider!.relayed(documentName).subscribe(({ message }) => {
      const now = Date.now();
      const { c } = JSON.parse(message) as { c?: [number, number, { cursor?: { at: number; server: number } }][] };
      for (const [, , state] of c ?? [])
        if (state?.cursor && state.cursor.server !== index) arrivals.push(now - state.cursor.at);
    });
  },
  /** The arrivals timed since the last call (or the watch began). */
  takeArrivals(): number[] {
    return arrivals.splice(0);
  },
  /** Stops Hocuspocus (its extension waits for queued writes) and closes the provider. */
  async stop(): Promise<void> {
    watching?.unsubscribe();
    try {
      await server?.destroy();
    } finally {
      await provider?.close();
    }
  },
};

export type ServerHandlers = typeof handlers;
serve(handlers);
