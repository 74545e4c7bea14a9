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
import { serve } from '../../harness/threads.js';

/** What the parent gives each server thread. */
export type ServerThreadData = { index: number; options: StorageModuleOptions };

const { index, options } = workerData as ServerThreadData;
type Relaying = StorageProvider & StorageRelay;

/**
 * While on, what an update's storing costs here: `beforeSync` of each update, and each `addDeltas` of the writers.
 * `parts` splits each update's `beforeSync` (one that waited for a commit): `apply`, its synchronous part (the
 * update applied to the document, Hocuspocus's broadcast, its delta queued); `queue`, until the `addDeltas`
 * holding it started (the commit in flight before it); `commit`, that `addDeltas`; `wake`, until `beforeSync`
 * resolved.
 */
const timing = {
  on: false,
  syncs: [] as number[],
  commits: [] as number[],
  batches: [] as number[],
  parts: { apply: [] as number[], queue: [] as number[], commit: [] as number[], wake: [] as number[] },
};
/** Per document, the updates whose `beforeSync` is waiting: when each was queued, and its commit's start and end. */
type Waiting = { queuedAt: number; startedAt?: number; committedAt?: number };
const waiting = new Map<string, Set<Waiting>>();
const waitingIn = (documentId: string): Set<Waiting> => {
  let updates = waiting.get(documentId);
  if (!updates) waiting.set(documentId, (updates = new Set()));
  return updates;
};

/** The provider's documents, each `addDeltas` timed while `timing` is on. */
function timedDocuments(documents: DocumentStore): DocumentStore {
  return new Proxy(documents, {
    get(target, name) {
      const value: unknown = Reflect.get(target, name, target);
      if (name !== 'addDeltas' || typeof value !== 'function')
        return typeof value === 'function' ? value.bind(target) : value;
      return async (...args: Parameters<DocumentStore['addDeltas']>) => {
        const started = performance.now();
        // The writer's batch holds every update queued before it started that no earlier batch took.
        const held = [...waitingIn(args[0])].filter((update) => update.startedAt === undefined);
        for (const update of held) update.startedAt = started;
        const stored = await (value as DocumentStore['addDeltas']).apply(target, args);
        const ended = performance.now();
        for (const update of held) update.committedAt = ended;
        if (timing.on) {
          timing.commits.push(ended - started);
          timing.batches.push(args[1].length);
        }
        return stored;
      };
    },
  });
}

/** `extension.beforeSync`, timed (see `timing`) while `timing` is on; the document id is its name (the default). */
function timeBeforeSync(extension: YjsStorageExtension): void {
  const beforeSync = extension.beforeSync.bind(extension);
  extension.beforeSync = async (payload) => {
    if (!timing.on || payload.type === 0) return beforeSync(payload);
    const started = performance.now();
    const storing = beforeSync(payload); // runs up to its first await: the update applied and queued
    const update: Waiting = { queuedAt: performance.now() };
    const updates = waitingIn(payload.documentName);
    updates.add(update);
    try {
      await storing;
    } finally {
      updates.delete(update);
    }
    const ended = performance.now();
    timing.syncs.push(ended - started);
    const { queuedAt, startedAt, committedAt } = update;
    if (startedAt === undefined || committedAt === undefined) return; // it waited for no commit
    timing.parts.apply.push(queuedAt - started);
    timing.parts.queue.push(startedAt - queuedAt);
    timing.parts.commit.push(committedAt - startedAt);
    timing.parts.wake.push(ended - committedAt);
  };
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
    timeBeforeSync(extension);
    server = new Server({ name: `${index}`, port: 0, quiet: true, stopOnSignals: false, extensions: [extension] });
    await server.listen();
    return (server.address as { port: number }).port;
  },
  rowWrites: (): number => rowWrites.count,
  /** Starts timing what storing the clients' updates costs here (see `timing`). */
  startTiming(): void {
    const parts = { apply: [], queue: [], commit: [], wake: [] };
    Object.assign(timing, { on: true, syncs: [], commits: [], batches: [], parts });
  },
  /** Stops timing; answers the times (ms) of each update's `beforeSync`, its parts, each commit, and each commit's deltas. */
  takeTiming() {
    timing.on = false;
    const { syncs, commits, batches, parts } = timing;
    return { syncs, commits, batches, parts };
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
