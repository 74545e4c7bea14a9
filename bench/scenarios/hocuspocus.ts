// Hocuspocus without Redis (issue 19): two Hocuspocus servers on the durable PostgreSQL, each with its own
// provider as two processes would have, and real HocuspocusProvider clients over WebSockets. What a typing
// client waits for its acknowledgement (a stored update), how fast presence crosses servers and what it writes,
// and whether the 100th joiner of a long document loads it as fast as the first.
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { Server } from '@hocuspocus/server';
import WebSocket from 'ws';
import * as Y from 'yjs';
import type { StorageProvider } from '../../src/index.js';
// The built entry, by its name, as the rest of the bench loads the package.
import { newWriterId, YjsStorageExtension, yjsUpdateToDelta, type YjsStorage } from 'nest-sync-storage/yjs';
import { latencyOf, type Latency } from '../harness/measure.js';
import type { StorageApp } from '../setup.js';
import { chunk } from '../workload.js';
import { count, type Scenario, type ScenarioContext } from './context.js';

const SCENARIO = 'Hocuspocus servers';
type Relaying = StorageProvider & Required<Pick<YjsStorage, 'relay' | 'relayed'>>;

/** A server's storage whose presence row writes are counted (the database sees exactly these). */
function countedStorage(provider: Relaying, rowWrites: { count: number }): YjsStorage {
  const { awareness } = provider;
  return {
    documents: provider.documents,
    changes: (documentId) => provider.changes(documentId),
    relay: (documentId, message, options) => provider.relay(documentId, message, options),
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

type Running = { url: string; stop(): Promise<void> };

async function startHocuspocus(name: string, storage: YjsStorage): Promise<Running> {
  const extension = new YjsStorageExtension({ storage, writerIdPrefix: `bench${name}.`, onError: () => undefined });
  const server = new Server({ name, port: 0, quiet: true, stopOnSignals: false, extensions: [extension] });
  await server.listen();
  const { port } = server.address as { port: number };
  return { url: `ws://127.0.0.1:${port}`, stop: () => server.destroy() };
}

type Client = { doc: Y.Doc; provider: HocuspocusProvider; destroy(): void };

function connect(url: string, documentName: string): Client {
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

async function until(check: () => boolean, what: string, boundMs = 60_000): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`bench: never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `clients` spread over both servers (alternating), each synced. */
async function joinAll(servers: Running[], documentName: string, clients: number): Promise<Client[]> {
  const joined = Array.from({ length: clients }, (_, i) => connect(servers[i % 2]!.url, documentName));
  await until(() => joined.every(settled), `${clients} clients synced on ${documentName}`);
  return joined;
}

/**
 * 50 clients type one character each every 100 ms for `seconds`; each edit's time to its acknowledgement
 * (the provider's `unsyncedChanges` going down: Hocuspocus acknowledges a connection's updates in order). A
 * lone `addDeltas` of one delta into another document, every 50 ms meanwhile, is one commit's latency.
 */
async function typing(context: ScenarioContext, servers: Running[], provider: StorageProvider, seconds: number) {
  const typists = await joinAll(servers, 'bench-typing', 50);
  const acks: number[] = [];
  const commits: number[] = [];
  let measuring = true;
  const stops: (() => void)[] = [];
  for (const [index, typist] of typists.entries()) {
    const sent: number[] = [];
    let unsynced = typist.provider.unsyncedChanges;
    typist.provider.on('unsyncedChanges', ({ number }: { number: number }) => {
      const now = performance.now();
      for (let acked = unsynced - number; acked > 0 && sent.length > 0; acked--) acks.push(now - sent.shift()!);
      unsynced = number;
    });
    const text = typist.doc.getText('t');
    const type = () => {
      sent.push(performance.now());
      text.insert(text.length, 'x');
    };
    // Spread over the 100 ms period, as 50 people typing are.
    const start = setTimeout(
      () => {
        const timer = setInterval(type, 100);
        stops.push(() => clearInterval(timer));
      },
      (index * 100) / typists.length,
    );
    stops.push(() => clearTimeout(start));
  }
  const writer = newWriterId('benchcommit');
  const committing = (async () => {
    for (let n = 1; measuring; n++) {
      const delta = yjsUpdateToDelta(writer, n, new Uint8Array([0, 0]), Date.now());
      const started = performance.now();
      await provider.documents.addDeltas('bench-commit', [delta]);
      commits.push(performance.now() - started);
      await sleep(50);
    }
  })();
  await sleep(seconds * 1000);
  stops.forEach((stop) => stop());
  measuring = false;
  await committing;
  await until(() => typists.every(settled), 'every edit acknowledged');
  typists.forEach((typist) => typist.destroy());
  const [ack, commit] = [latencyOf(acks), latencyOf(commits)];
  const detail = `50 clients typing at 10 updates/s over two servers, ${seconds} s (${count(acks.length)} edits)`;
  context.record({ id: 'hocuspocus.ack', scenario: SCENARIO, detail: `${detail}: edit → acknowledgement`, ours: ack });
  context.record({
    id: 'hocuspocus.ack.overCommit',
    scenario: SCENARIO,
    detail: `${detail}: acknowledgement p50 against one commit's, same run`,
    ours: ack,
    floor: commit,
    floorLabel: 'one addDeltas of one delta, every 50 ms meanwhile',
  });
}

/**
 * 100 clients (50 on each server) move a cursor every 100 ms for `seconds`; an observer on each server times
 * each move of the other server's clients from the moment it was made. Row writes are counted over the same
 * time, after every client appeared.
 */
async function cursors(
  context: ScenarioContext,
  servers: Running[],
  providers: Relaying[],
  rowWrites: { count: number },
  seconds: number,
) {
  const movers = await joinAll(servers, 'bench-cursors', 100);
  const observers = await joinAll(servers, 'bench-cursors', 2);
  const deliveries: number[] = [];
  // Where the time goes: a move's arrival at the other server's provider, before that server's fan-out.
  const arrivals: number[] = [];
  const relayed = providers.map((provider, server) =>
    provider.relayed('bench-cursors').subscribe(({ message }) => {
      const now = Date.now();
      const { c } = JSON.parse(message) as { c?: [number, number, { cursor?: { at: number; server: number } }][] };
      for (const [, , state] of c ?? [])
        if (state?.cursor && state.cursor.server !== server) arrivals.push(now - state.cursor.at);
    }),
  );
  for (const [server, observer] of observers.entries()) {
    observer.provider.awareness!.on('change', ({ added, updated }: { added: number[]; updated: number[] }) => {
      const now = Date.now();
      for (const clientId of [...added, ...updated]) {
        const cursor = observer.provider.awareness!.getStates().get(clientId)?.cursor as
          { at: number; server: number } | undefined;
        if (cursor && cursor.server !== server) deliveries.push(now - cursor.at);
      }
    });
  }
  let move = 0;
  const moveAll = (mover: Client, index: number) =>
    mover.provider.setAwarenessField('cursor', { at: Date.now(), server: index % 2, n: move++ });
  movers.forEach(moveAll); // everyone appears
  await sleep(1500);
  deliveries.length = 0;
  arrivals.length = 0;
  const writesBefore = rowWrites.count;
  const startedAt = performance.now();
  const timers = movers.map((mover, index) => {
    let timer: NodeJS.Timeout | undefined;
    const start = setTimeout(() => (timer = setInterval(() => moveAll(mover, index), 100)), (index * 100) / 100);
    return () => {
      clearTimeout(start);
      clearInterval(timer);
    };
  });
  await sleep(seconds * 1000);
  timers.forEach((stop) => stop());
  relayed.forEach((subscription) => subscription.unsubscribe());
  const elapsedS = (performance.now() - startedAt) / 1000;
  const writesPerClientPerSecond = (rowWrites.count - writesBefore) / movers.length / elapsedS;
  [...movers, ...observers].forEach((client) => client.destroy());
  const detail = `100 clients moving a cursor at 10 Hz over two servers, ${seconds} s`;
  const delivery: Latency = latencyOf(deliveries);
  context.record({
    id: 'hocuspocus.presence',
    scenario: SCENARIO,
    detail: `${detail}: move → seen on the other server (${count(deliveries.length)} deliveries)`,
    ours: delivery,
  });
  context.record({
    id: 'hocuspocus.presence.relay',
    scenario: SCENARIO,
    detail: `${detail}: move → relayed message at the other server's provider (${count(arrivals.length)}), no budget`,
    ours: latencyOf(arrivals),
  });
  context.record({
    id: 'hocuspocus.presenceRows',
    scenario: SCENARIO,
    detail: `${detail}: presence row writes per client per second`,
    ours: {
      kind: 'throughput',
      opsPerSecond: writesPerClientPerSecond,
      ops: rowWrites.count - writesBefore,
      roundMs: [],
    },
    extra: { writesPerClientPerSecond },
  });
}

/** A 2,000-update document; 100 joiners one after another (alternating servers): the first's and the last ten's time to synced. */
async function joiners(context: ScenarioContext, servers: Running[], provider: StorageProvider) {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  for (let n = 0; updates.length < 2000; n++) doc.getText('t').insert(n % 100, 'etaoin shrdlu'[n % 13]!);
  const writer = newWriterId('benchjoin');
  const deltas = updates.map((update, i) => yjsUpdateToDelta(writer, i + 1, update, Date.now()));
  for (const batch of chunk(deltas, 500)) await provider.documents.addDeltas('bench-joiners', batch);
  const times: number[] = [];
  const joined: Client[] = [];
  for (let i = 0; i < 100; i++) {
    const started = performance.now();
    const joiner = connect(servers[i % 2]!.url, 'bench-joiners');
    joined.push(joiner);
    await until(() => settled(joiner), `joiner ${i + 1} synced`);
    times.push(performance.now() - started);
  }
  const text = joined.at(-1)!.doc.getText('t').length;
  if (text !== doc.getText('t').length) throw new Error(`bench: the 100th joiner read ${text} characters`);
  joined.forEach((joiner) => joiner.destroy());
  context.record({
    id: 'hocuspocus.join.100th',
    scenario: SCENARIO,
    detail: 'a 2,000-update document: joiners 91-100 against the first joiner on each server (who load it)',
    ours: latencyOf(times.slice(90)),
    floor: latencyOf(times.slice(0, 2)),
    floorLabel: 'the first joiner on each server',
  });
}

export const scenario: Scenario = {
  name: SCENARIO,
  drivers: ['postgres'],
  async run(context) {
    const seconds = context.sizes.mode === 'quick' ? 2 : 20;
    const apps: StorageApp[] = [await context.postgres!.startProvider(), await context.postgres!.startProvider()];
    const rowWrites = { count: 0 };
    const servers: Running[] = [];
    try {
      for (const [index, app] of apps.entries())
        servers.push(await startHocuspocus(`${index}`, countedStorage(app.provider as Relaying, rowWrites)));
      await typing(context, servers, apps[0]!.provider, seconds);
      const providers = apps.map((app) => app.provider as Relaying);
      await cursors(context, servers, providers, rowWrites, seconds);
      await joiners(context, servers, apps[0]!.provider);
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
      await Promise.all(apps.map((app) => app.close()));
    }
  },
};
