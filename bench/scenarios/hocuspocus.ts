// Hocuspocus without Redis (issue 19): two Hocuspocus servers on the durable PostgreSQL and real HocuspocusProvider
// clients over WebSockets. What a typing client waits for its acknowledgement (a stored update), how fast presence
// crosses servers and what it writes, and whether the 100th joiner of a long document loads it as fast as the first.
//
// Each server runs in a worker thread of its own with its own provider (in production each is a process), and
// each server's clients in another (in production they are browsers): in one thread, the clients' and servers'
// work saturated one event loop and the figures measured that, not the storage. Worker threads rather than child
// processes: each has its own event loop and heap on its own core as a process would, the parent measures each
// one's event-loop utilisation from outside (`worker.performance`), and a thread cannot outlive the bench.
// This thread only orchestrates, aggregates, and runs the commit probe beside the load.
import { setTimeout as delay } from 'node:timers/promises';
import * as Y from 'yjs';
// The built entry, by its name, as the rest of the bench loads the package.
import { newWriterId, yjsUpdateToDelta } from 'nest-sync-storage/yjs';
import { latencyOf, sum, type Latency } from '../harness/measure.js';
import { chunk } from '../workload.js';
import { count, expectEqual, type Scenario, type ScenarioContext } from './context.js';
import type { ClientHandlers, ClientThreadData } from './hocuspocus/client-worker.js';
import type { ServerHandlers, ServerThreadData } from './hocuspocus/server-worker.js';
import { startThread, type Thread } from '../harness/threads.js';
import { measureUtilisation } from '../harness/utilisation.js';

const SCENARIO = 'Hocuspocus servers';
/** The servers' threads, and the clients' thread of each server (same index). */
type Threads = { servers: Thread<ServerHandlers>[]; clients: Thread<ClientHandlers>[] };

const SERVERS = 2;
const everyThread = ({ servers, clients }: Threads) => [...servers, ...clients];
const threadNames = ({ servers, clients }: Threads) => [
  ...servers.map((_, index) => `server${index}`),
  ...clients.map((_, index) => `clients${index}`),
];
/** Each thread's event-loop utilisation and the machine's CPU use from now to the call of the answer. */
const measureWindow = (context: ScenarioContext, threads: Threads, what: string) => {
  const names = threadNames(threads);
  const workers = everyThread(threads).map((thread, index) => [names[index]!, thread.worker] as const);
  return measureUtilisation(workers, (shown) => context.progress(`${what}: ${shown}`));
};

/** Client `index` of `clients` spread over the servers alternately: its server and its place there. */
const spread = (clients: number) => (server: number) =>
  Array.from({ length: clients / SERVERS }, (_, place) => place * SERVERS + server);

/** One `addDeltas` of one delta into a document of its own every 50 ms, on the bench's provider, until stopped. */
function commitProbe(context: ScenarioContext) {
  const commits: number[] = [];
  let measuring = true;
  const writer = newWriterId('benchcommit');
  const committing = (async () => {
    for (let n = 1; measuring; n++) {
      const delta = yjsUpdateToDelta(writer, n, new Uint8Array([0, 0]), Date.now());
      const started = performance.now();
      await context.provider.documents.addDeltas('bench-commit', [delta]);
      commits.push(performance.now() - started);
      await delay(50);
    }
  })();
  return {
    commits,
    async stop(): Promise<void> {
      measuring = false;
      await committing;
    },
  };
}

/** Stops every thread's CPU profile and prints each: self time by package, by function, by function of ours. */
async function showProfiles(context: ScenarioContext, threads: Threads): Promise<void> {
  const profiles = await Promise.all(everyThread(threads).map((thread) => thread.call('profileStop', 12)));
  const lines = (entries: [string, number][]) =>
    entries.map(([name, ms]) => `  ${ms.toFixed(0).padStart(6)}  ${name}`).join('\n');
  for (const [index, { functions, packages, ours }] of profiles.entries()) {
    const shown = [`self ms by package:`, lines(packages), `  by function:`, lines(functions)];
    shown.push(`  by function of nest-sync-storage:`, lines(ours));
    context.progress(`typing, CPU profile of ${threadNames(threads)[index]}, ${shown.join('\n')}`);
  }
}

const PARTS = ['apply', 'queue', 'commit', 'wake'] as const;

/** The p50 and p99 of each part of an update's `beforeSync` over the servers (`applyP50Ms`...), also printed. */
function partsOf(
  context: ScenarioContext,
  timed: readonly { parts: Record<(typeof PARTS)[number], number[]> }[],
): Record<string, number> {
  const parts: Record<string, number> = {};
  const shown = PARTS.map((name) => {
    const { p50Ms, p99Ms } = latencyOf(timed.flatMap((part) => part.parts[name]));
    Object.assign(parts, { [`${name}P50Ms`]: p50Ms, [`${name}P99Ms`]: p99Ms });
    return `${name} ${p50Ms.toFixed(2)} · ${p99Ms.toFixed(1)}`;
  });
  context.progress(`typing: an update's beforeSync in parts, p50 · p99 ms: ${shown.join('; ')}`);
  return parts;
}

/** The typists of the budgets; fewer show the same path with CPU to spare on this 2-core machine. */
const TYPISTS = 50;

/**
 * `clients` type one character each every 100 ms for `seconds`, spread over the period as people typing
 * are; each edit's time to its acknowledgement (measured in the clients' threads). A lone `addDeltas` of one
 * delta into another document, every 50 ms meanwhile, is one commit's latency beside the same load. Rows of
 * a run with other than `TYPISTS` clients carry their number in the id (`hocuspocus.ack.24`) and no budget.
 */
async function typing(context: ScenarioContext, threads: Threads, seconds: number, clients = TYPISTS) {
  const documentName = `bench-typing-${clients}`;
  const suffix = clients === TYPISTS ? '' : `.${clients}`;
  const edits = seconds * 10;
  await Promise.all(threads.clients.map((thread) => thread.call('join', documentName, clients / SERVERS)));
  const startAt = Date.now() + 100;
  const offsets = (server: number) => spread(clients)(server).map((index) => (index * 100) / clients);
  const ended = await measureWindow(context, threads, 'typing');
  await Promise.all(threads.servers.map((thread) => thread.call('startTiming')));
  const profiling = process.env.BENCH_PROFILE === 'hocuspocus';
  if (profiling) await Promise.all(everyThread(threads).map((thread) => thread.call('profileStart')));
  const probe = commitProbe(context);
  let typed;
  try {
    typed = await Promise.all(
      threads.clients.map((thread, server) => thread.call('type', documentName, startAt, offsets(server), 100, edits)),
    );
  } finally {
    await probe.stop();
  }
  const extra = await ended();
  const timed = await Promise.all(threads.servers.map((thread) => thread.call('takeTiming')));
  if (profiling) await showProfiles(context, threads);
  await Promise.all(threads.clients.map((thread) => thread.call('leave', documentName)));
  const acks = typed.flatMap((part) => part.acks);
  const sent = sum(typed.map((part) => part.sent));
  expectEqual(acks.length, sent, 'edits acknowledged');
  const late = latencyOf(typed.flatMap((part) => part.late));
  Object.assign(extra, {
    sent,
    expected: clients * edits,
    sendLateP50Ms: late.p50Ms,
    sendLateP99Ms: late.p99Ms,
    sendLateMaxMs: late.maxMs,
  });
  const [ack, commit] = [latencyOf(acks), latencyOf(probe.commits)];
  const detail = `${clients} clients typing at 10 updates/s over two servers, ${seconds} s (${count(sent)} of ${count(clients * edits)} edits sent)`;
  context.record({
    id: `hocuspocus.ack${suffix}`,
    scenario: SCENARIO,
    detail: `${detail}: edit → acknowledgement`,
    ours: ack,
    extra,
  });
  context.record({
    id: `hocuspocus.ack${suffix}.overCommit`,
    scenario: SCENARIO,
    detail: `${detail}: acknowledgement p50 against one commit's, same run`,
    ours: ack,
    floor: commit,
    floorLabel: 'one addDeltas of one delta, every 50 ms meanwhile',
    extra,
  });
  // Where the time goes: the part of an acknowledgement spent in the server's beforeSync (the update applied and
  // its delta committed), against the commits of the servers' writers themselves.
  const batches = timed.flatMap((part) => part.batches);
  const parts = partsOf(context, timed);
  context.record({
    id: `hocuspocus.ack${suffix}.stored`,
    scenario: SCENARIO,
    detail: `${detail}: an update's beforeSync at its server (applied, committed), against the writers' commits (${count(batches.length)}, ${(sum(batches) / batches.length).toFixed(1)} deltas each), no budget`,
    ours: latencyOf(timed.flatMap((part) => part.syncs)),
    floor: latencyOf(timed.flatMap((part) => part.commits)),
    floorLabel: "the servers' writers' addDeltas",
    extra: { ...extra, ...parts, deltasPerCommit: sum(batches) / batches.length },
  });
}

/**
 * 100 clients (50 on each server) move a cursor every 100 ms for `seconds`; an observer on each server times
 * each move of the other server's clients from the moment it was made. Row writes are counted (by the servers)
 * over the same time, after every client appeared.
 */
async function cursors(context: ScenarioContext, threads: Threads, seconds: number) {
  const documentName = 'bench-cursors';
  const clients = 100;
  const moves = seconds * 10;
  const rowWrites = async () => sum(await Promise.all(threads.servers.map((thread) => thread.call('rowWrites'))));
  const takeAll = async () => {
    const [deliveries, arrivals] = await Promise.all([
      Promise.all(threads.clients.map((thread) => thread.call('takeDeliveries'))),
      Promise.all(threads.servers.map((thread) => thread.call('takeArrivals'))),
    ]);
    return { deliveries: deliveries.flat(), arrivals: arrivals.flat() };
  };
  await Promise.all(threads.clients.map((thread) => thread.call('join', documentName, clients / SERVERS)));
  await Promise.all(threads.clients.map((thread) => thread.call('observe', documentName)));
  // Where the time goes: a move's arrival at the other server's provider, before that server's fan-out.
  await Promise.all(threads.servers.map((thread) => thread.call('watchArrivals', documentName)));
  await Promise.all(threads.clients.map((thread) => thread.call('appear', documentName))); // everyone appears
  await delay(1500);
  await takeAll(); // the appearances are not timed
  const writesBefore = await rowWrites();
  const startedAt = performance.now();
  const startAt = Date.now() + 50;
  const offsets = (server: number) => spread(clients)(server).map((index) => (index * 100) / clients);
  const ended = await measureWindow(context, threads, 'cursors');
  const moved = await Promise.all(
    threads.clients.map((thread, server) =>
      thread.call('moveCursors', documentName, startAt, offsets(server), 100, moves),
    ),
  );
  const elapsedS = (performance.now() - startedAt) / 1000;
  const writes = (await rowWrites()) - writesBefore;
  const extra = await ended();
  await delay(200); // the last moves' deliveries
  const { deliveries, arrivals } = await takeAll();
  await Promise.all(threads.clients.map((thread) => thread.call('leave', documentName)));
  const sent = sum(moved.map((part) => part.sent));
  const late = latencyOf(moved.flatMap((part) => part.late));
  Object.assign(extra, {
    sent,
    expected: clients * moves,
    sendLateP50Ms: late.p50Ms,
    sendLateP99Ms: late.p99Ms,
    sendLateMaxMs: late.maxMs,
  });
  const writesPerClientPerSecond = writes / clients / elapsedS;
  const detail = `100 clients moving a cursor at 10 Hz over two servers, ${seconds} s (${count(sent)} of ${count(clients * moves)} moves sent)`;
  const delivery: Latency = latencyOf(deliveries);
  context.record({
    id: 'hocuspocus.presence',
    scenario: SCENARIO,
    detail: `${detail}: move → seen on the other server (${count(deliveries.length)} deliveries)`,
    ours: delivery,
    extra,
  });
  context.record({
    id: 'hocuspocus.presence.relay',
    scenario: SCENARIO,
    detail: `${detail}: move → relayed message at the other server's provider (${count(arrivals.length)}), no budget`,
    ours: latencyOf(arrivals),
    extra,
  });
  context.record({
    id: 'hocuspocus.presenceRows',
    scenario: SCENARIO,
    detail: `${detail}: presence row writes per client per second`,
    ours: { kind: 'throughput', opsPerSecond: writesPerClientPerSecond, ops: writes, roundMs: [] },
    extra: { ...extra, writesPerClientPerSecond },
  });
}

/** A 2,000-update document; 100 joiners one after another (alternating servers): the first's and the last ten's time to synced. */
async function joiners(context: ScenarioContext, threads: Threads) {
  const documentName = 'bench-joiners';
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  for (let n = 0; updates.length < 2000; n++) doc.getText('t').insert(n % 100, 'etaoin shrdlu'[n % 13]!);
  const writer = newWriterId('benchjoin');
  const deltas = updates.map((update, i) => yjsUpdateToDelta(writer, i + 1, update, Date.now()));
  for (const batch of chunk(deltas, 500)) await context.provider.documents.addDeltas(documentName, batch);
  const times: number[] = [];
  let length = 0;
  for (let i = 0; i < 100; i++) {
    const joined = await threads.clients[i % SERVERS]!.call('joinOne', documentName);
    times.push(joined.ms);
    length = joined.length;
  }
  expectEqual(length, doc.getText('t').length, 'characters the 100th joiner read');
  await Promise.all(threads.clients.map((thread) => thread.call('leave', documentName)));
  context.record({
    id: 'hocuspocus.join.100th',
    scenario: SCENARIO,
    detail: 'a 2,000-update document: joiners 91-100 against the first joiner on each server (who load it)',
    ours: latencyOf(times.slice(90)),
    floor: latencyOf(times.slice(0, 2)),
    floorLabel: 'the first joiner on each server',
  });
}

/** How long the servers get to stop as they would (their extensions flush) before their threads are ended. */
const STOP_BOUND_MS = 15_000;

export const scenario: Scenario = {
  name: SCENARIO,
  drivers: ['postgres'],
  async run(context) {
    const seconds = context.sizes.mode === 'quick' ? 2 : 20;
    const threads: Threads = { servers: [], clients: [] };
    try {
      for (let index = 0; index < SERVERS; index++) {
        const data: ServerThreadData = { index, options: context.postgres!.providerOptions };
        threads.servers.push(startThread(new URL('./hocuspocus/server-worker.js', import.meta.url), data));
      }
      const ports = await Promise.all(threads.servers.map((thread) => thread.call('start')));
      for (const [server, port] of ports.entries()) {
        const data: ClientThreadData = { server, url: `ws://127.0.0.1:${port}` };
        threads.clients.push(startThread(new URL('./hocuspocus/client-worker.js', import.meta.url), data));
      }
      await typing(context, threads, seconds);
      // The same with the machine's cores not saturated by the clients (no budget; full mode only).
      if (context.sizes.mode === 'full') await typing(context, threads, seconds, 24);
      await cursors(context, threads, seconds);
      await joiners(context, threads);
    } finally {
      // The clients go first; the servers then stop as they would (bounded), and every thread ends.
      await Promise.allSettled(threads.clients.map((thread) => thread.terminate()));
      const stopping = Promise.allSettled(threads.servers.map((thread) => thread.call('stop')));
      await Promise.race([stopping, delay(STOP_BOUND_MS, undefined, { ref: false })]);
      await Promise.allSettled(threads.servers.map((thread) => thread.terminate()));
    }
  },
};
