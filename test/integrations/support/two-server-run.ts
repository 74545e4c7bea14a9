import { eventually } from '../../fixtures/eventually.js';
import { waitForConvergence } from './convergence.js';
import { clientSettled, connectClient, startServer, type TestClient, type TestServer } from './hocuspocus.js';
import { editRandomly } from './random-edits.js';
import { seededRandom, type SeededRandom } from '../../fixtures/seeded-random.js';
import type { ServerStorage, SharedStorage } from './shared-storage.js';
import { sameState } from './yjs-content.js';

/** Small thresholds, so that a run of a few hundred edits snapshots and compacts several times. */
const POLICY = { snapshotEveryDeltas: 40, snapshotEveryBytes: 8 * 1024 };

/** One server of the run, with the storage it was started on. */
interface RunningServer {
  server: TestServer;
  storage: ServerStorage;
}

/**
 * Two Hocuspocus servers on one storage, six clients (three on each), random edits: the state a
 * test walks through phase by phase. Clients on A are clients[0, 2, 4], on B clients[1, 3, 5].
 */
export class TwoServerRun {
  readonly random: SeededRandom;
  readonly documentName: string;
  a!: RunningServer;
  b!: RunningServer;
  clients: TestClient[] = [];
  private readonly extraClients: TestClient[] = [];

  constructor(
    readonly storage: SharedStorage,
    readonly seed: number,
  ) {
    this.random = seededRandom(seed);
    this.documentName = `room-${seed}`;
  }

  get servers(): TestServer[] {
    return [this.a.server, this.b.server];
  }

  async start(): Promise<void> {
    this.a = await this.startServer('A');
    this.b = await this.startServer('B');
    for (let i = 0; i < 6; i++) this.clients.push(connectClient(this.onServer(i).url, this.documentName));
    await eventually(() => this.clients.every(clientSettled), 'every client connected and synced');
  }

  /** Random edits while client 5 is offline and edits too; it comes back on the other server (A). */
  async editWithAnOfflineClient(steps: number): Promise<void> {
    const offline = this.clients[5]!;
    offline.socket.disconnect();
    await editRandomly(this.clients.slice(0, 5), this.random, steps, offline);
    offline.destroy();
    this.clients[5] = connectClient(this.a.server.url, this.documentName, offline.doc);
  }

  /**
   * A crashes with deltas it captured but did not store (its database holds its writes), while its
   * clients keep editing offline and B's clients online; then A starts again on the same port.
   */
  async killAndRestartA(steps: number): Promise<{ storedEverythingBeforeKill: boolean }> {
    this.a.storage.holdWrites();
    const onA = this.clients.filter((_, i) => i % 2 === 0);
    await editRandomly(onA, this.random, 10);
    // Applied, not acknowledged: A applies a client's first held update and waits for a commit that never
    // comes (the connection's later messages queue behind it), so A holds updates it has not stored.
    await eventually(() => !this.a.server.extension.idle, 'A holds edits of its clients it did not store');
    const storedEverythingBeforeKill = this.a.server.extension.idle;
    await this.a.server.kill();
    await this.a.storage.close();
    await editRandomly(
      this.clients.filter((_, i) => i % 2 === 1),
      this.random,
      steps,
      onA[0],
    );
    this.a = await this.startServer('A2', this.a.server.port);
    await editRandomly(this.clients, this.random, steps);
    return { storedEverythingBeforeKill };
  }

  /** Waits until clients, servers and the store agree; answers the document rebuilt from the store. */
  converge(): ReturnType<typeof waitForConvergence> {
    return waitForConvergence({
      clients: this.clients,
      servers: this.servers,
      documents: this.storage.documents,
      documentName: this.documentName,
    });
  }

  /** A new client on `server` that loads the document from scratch; it stays until `stop()`. */
  async lateJoinerMatches(server: TestServer): Promise<boolean> {
    const joiner = connectClient(server.url, this.documentName);
    this.extraClients.push(joiner);
    const reference = this.clients[0]!.doc;
    await eventually(() => clientSettled(joiner) && sameState(joiner.doc, reference), 'the late joiner is synced');
    return sameState(joiner.doc, reference);
  }

  /** Every writer's counters 1..m are each either a stored delta or inside the snapshot; none is missing. */
  async writersWithGaps(): Promise<string[]> {
    const { snapshot, deltas, vectorClock } = await this.storage.documents.getChangesSince(this.documentName, null);
    const stored = new Set(deltas.map((delta) => delta.id));
    const gaps: string[] = [];
    for (const [writer, last] of Object.entries(vectorClock)) {
      const inSnapshot = snapshot?.vectorClock[writer] ?? 0;
      for (let counter = inSnapshot + 1; counter <= last; counter++)
        if (!stored.has(`${writer}:${counter}`)) gaps.push(`${writer}:${counter}`);
    }
    return gaps;
  }

  async stop(): Promise<void> {
    for (const client of [...this.clients, ...this.extraClients]) client.destroy();
    await Promise.all(this.servers.map((server) => server.stop()));
    await Promise.all([this.a.storage.close(), this.b.storage.close()]);
  }

  private onServer(clientIndex: number): TestServer {
    return clientIndex % 2 === 0 ? this.a.server : this.b.server;
  }

  private async startServer(name: string, port?: number): Promise<RunningServer> {
    const storage = await this.storage.forServer();
    return { storage, server: await startServer(name, storage, { port, ...POLICY }) };
  }
}
