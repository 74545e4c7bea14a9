// The HocuspocusProvider clients of one Hocuspocus server, in a thread of their own (in production they are
// browsers): they type, move cursors and join as the parent says, and answer what they measured.
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { workerData } from 'node:worker_threads';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { runSchedule, schedule, serve, until } from '../../harness/threads.js';

/** What the parent gives each client thread: its server's index and URL. */
export type ClientThreadData = { server: number; url: string };

const { server, url } = workerData as ClientThreadData;

type Client = { doc: Y.Doc; provider: HocuspocusProvider; destroy(): void };
type Cursor = { at: number; server: number; n: number };

function connect(documentName: string): Client {
  const socket = new HocuspocusProviderWebsocket({ url, WebSocketPolyfill: WebSocket });
  const doc = new Y.Doc();
  const provider = new HocuspocusProvider({ websocketProvider: socket, name: documentName, document: doc });
  provider.attach();
  return {
    doc,
    provider,
    destroy() {
      provider.destroy();
      socket.destroy();
    },
  };
}

const settled = ({ provider }: Client): boolean =>
  provider.isSynced &&
  provider.unsyncedChanges === 0 &&
  provider.configuration.websocketProvider.status === 'connected';

/** The clients of each document here, by role. */
const clients = new Map<string, Client[]>();
const observers = new Map<string, Client>();
/** Delays (ms) of other servers' cursor moves seen by this thread's observer, since the last take. */
let deliveries: number[] = [];
let move = 0;

const of = (documentName: string): Client[] => clients.get(documentName) ?? [];

const handlers = {
  /** Connects `count` clients to `documentName` and waits until each is synced. */
  async join(documentName: string, count: number): Promise<void> {
    const joined = Array.from({ length: count }, () => connect(documentName));
    clients.set(documentName, [...of(documentName), ...joined]);
    await until(() => joined.every(settled), `${count} clients synced on ${documentName} at server ${server}`);
  },

  /** One more client of `documentName`: its time to synced (ms) and the length of its text `t` then. */
  async joinOne(documentName: string): Promise<{ ms: number; length: number }> {
    const started = performance.now();
    const joiner = connect(documentName);
    clients.set(documentName, [...of(documentName), joiner]);
    await until(() => settled(joiner), `a joiner synced on ${documentName} at server ${server}`);
    return { ms: performance.now() - started, length: joiner.doc.getText('t').length };
  },

  /**
   * Each client of `documentName` types one character at the end of its paragraph every `periodMs`, `edits` times, from `startAt` plus its
   * offset; each edit's time to its acknowledgement (the provider's `unsyncedChanges` going down: Hocuspocus
   * acknowledges a connection's updates in order). Answers those, how many were sent, and how late each went.
   */
  async type(documentName: string, startAt: number, offsets: number[], periodMs: number, edits: number) {
    const typists = of(documentName);
    const acks: number[] = [];
    const sends = typists.map((typist) => {
      const sent: number[] = [];
      let unsynced = typist.provider.unsyncedChanges;
      typist.provider.on('unsyncedChanges', ({ number }: { number: number }) => {
        const now = performance.now();
        for (let acked = unsynced - number; acked > 0 && sent.length > 0; acked--) acks.push(now - sent.shift()!);
        unsynced = number;
      });
      // A paragraph of its own, as people typing together mostly are: an insert at the end of one 10,000-character
      // text interleaved by 50 writers costs Yjs's index lookup (findMarker, findPosition) about a millisecond,
      // which 25 clients on one thread paid 250 times a second (40% of the thread), and a browser pays 10 times.
      const text = typist.doc.getText(`p${typist.doc.clientID}`);
      return () => {
        sent.push(performance.now());
        text.insert(text.length, 'x');
      };
    });
    let sent = 0;
    const late = await runSchedule(startAt, schedule(offsets, periodMs, edits), (who) => {
      sends[who]!();
      sent++;
    });
    await until(() => typists.every(settled), `every edit acknowledged at server ${server}`);
    return { acks, sent, late };
  },

  /** Adds an observer of `documentName` that times the cursor moves of other servers' clients it sees. */
  async observe(documentName: string): Promise<void> {
    const observer = connect(documentName);
    observers.set(documentName, observer);
    await until(() => settled(observer), `an observer synced on ${documentName} at server ${server}`);
    const awareness = observer.provider.awareness!;
    awareness.on('change', ({ added, updated }: { added: number[]; updated: number[] }) => {
      const now = Date.now();
      for (const clientId of [...added, ...updated]) {
        const cursor = awareness.getStates().get(clientId)?.cursor as Cursor | undefined;
        if (cursor && cursor.server !== server) deliveries.push(now - cursor.at);
      }
    });
  },

  /** Each client of `documentName` moves its cursor once (they appear). */
  appear(documentName: string): void {
    for (const mover of of(documentName))
      mover.provider.setAwarenessField('cursor', { at: Date.now(), server, n: move++ });
  },

  /** Each client of `documentName` moves its cursor every `periodMs`, `moves` times; answers how late each went. */
  async moveCursors(documentName: string, startAt: number, offsets: number[], periodMs: number, moves: number) {
    const movers = of(documentName);
    let sent = 0;
    const late = await runSchedule(startAt, schedule(offsets, periodMs, moves), (who) => {
      movers[who]!.provider.setAwarenessField('cursor', { at: Date.now(), server, n: move++ });
      sent++;
    });
    return { sent, late };
  },

  /** The deliveries the observer timed since the last take. */
  takeDeliveries(): number[] {
    const taken = deliveries;
    deliveries = [];
    return taken;
  },

  /** Disconnects every client of `documentName` here, observer included. */
  leave(documentName: string): void {
    of(documentName).forEach((client) => client.destroy());
    observers.get(documentName)?.destroy();
    clients.delete(documentName);
    observers.delete(documentName);
  },
};

export type ClientHandlers = typeof handlers;
serve(handlers);
