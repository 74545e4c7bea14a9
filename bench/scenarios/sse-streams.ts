import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect, createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { EventLoopDelay } from '../harness/event-loop-probe.js';
import { latencyOf } from '../harness/measure.js';
import { count, type Scenario } from './context.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const STREAMS = 100;
const BATCH = 10_000;
const MiB = 1024 * 1024;

/** A kB figure of /proc/<pid>/status (VmRSS now, VmHWM the peak), in bytes. */
function memoryOf(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((each) => each.startsWith(`${field}:`));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? NaN) * 1024;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** An event stream whose client reads nothing: the bytes stay in the kernel and the app's buffers. */
function unreadStream(port: number, documentId: string): Socket {
  const socket = connect(port, '127.0.0.1');
  socket.write(`GET /documents/${documentId}/events HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n`);
  socket.pause();
  socket.on('error', () => undefined);
  return socket;
}

/** A batch of 10,000 deltas whose ids are 200 characters long: its change names 2 MB of ids. */
const batchOf = (round: number) =>
  JSON.stringify({
    deltas: Array.from({ length: BATCH }, (_, i) => {
      const counter = round * BATCH + i + 1;
      return {
        id: `${'i'.repeat(190)}-${counter}`,
        clientId: 'w',
        timestamp: counter,
        data: null,
        vectorClock: { w: counter },
      };
    }),
  });

/**
 * Issue 23, finding 2: the sample app (memory driver, its own process, real HTTP) with 100 event streams of one
 * document that never read, while 10,000-delta batches with long ids are written to it. Reports the app's peak
 * RSS and how long `/health` took meanwhile.
 */
export const scenario: Scenario = {
  name: 'unread event streams',
  drivers: ['memory'],
  async run(context) {
    const rounds = context.sizes.mode === 'full' ? 20 : 5;
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-b', 'sample/sync-app/tsconfig.json'], { cwd: root, stdio: 'inherit' });
    const port = await freePort();
    const probe = fileURLToPath(new URL('../harness/event-loop-probe.js', import.meta.url));
    const app = spawn(process.execPath, ['--import', probe, 'sample/sync-app/dist/main.js'], {
      cwd: root,
      env: { PATH: process.env.PATH, PORT: String(port), STORAGE_DRIVER: 'memory' },
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    /** The app's event-loop delay since the last reading (see event-loop-probe.ts). */
    const eventLoopDelay = () =>
      new Promise<EventLoopDelay>((resolve) => {
        app.once('message', (answer) => resolve(answer as EventLoopDelay));
        app.send('event-loop');
      });
    const base = `http://127.0.0.1:${port}`;
    const sockets: Socket[] = [];
    try {
      for (
        let tries = 0;
        !(await fetch(`${base}/health`)
          .then((r) => r.ok)
          .catch(() => false));
        tries++
      ) {
        if (tries > 200) throw new Error('the sample app did not start');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const baseline = memoryOf(app.pid!, 'VmRSS');
      await eventLoopDelay();
      for (let i = 0; i < STREAMS; i++) sockets.push(unreadStream(port, 'flood'));
      await new Promise((resolve) => setTimeout(resolve, 200));
      // Built before the polling starts: serialising megabytes here would delay the bench's own requests.
      const bodies = Array.from({ length: rounds }, (_, round) => batchOf(round));
      const health: number[] = [];
      let writing = true;
      const polling = (async () => {
        while (writing) {
          const started = performance.now();
          await fetch(`${base}/health`).then((r) => r.arrayBuffer());
          health.push(performance.now() - started);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })();
      for (let round = 0; round < rounds; round++) {
        const answer = await fetch(`${base}/documents/flood/deltas/batch`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: bodies[round]!,
        });
        if (answer.status !== 200) throw new Error(`batch ${round}: ${answer.status}`);
        await answer.arrayBuffer();
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      writing = false;
      await polling;
      const loop = await eventLoopDelay();
      const peak = memoryOf(app.pid!, 'VmHWM');
      context.record({
        id: 'sse.unread.peakRss',
        scenario: `peak RSS of the sample app: ${STREAMS} unread event streams, ${rounds} batches of ${count(BATCH)} deltas`,
        detail: `baseline ${(baseline / MiB).toFixed(0)} MiB, peak ${(peak / MiB).toFixed(0)} MiB; per stream: the growth ÷ ${STREAMS}`,
        ours: { kind: 'heap', bytesPerItem: (peak - baseline) / STREAMS, items: STREAMS },
        extra: { peakRssMiB: peak / MiB, baselineRssMiB: baseline / MiB },
      });
      context.record({
        id: 'sse.unread.health',
        scenario: `GET /health every 50 ms while the batches reach ${STREAMS} unread streams`,
        detail: `${count(health.length)} request(s)`,
        ours: latencyOf(health),
      });
      context.record({
        id: 'sse.unread.eventLoop',
        scenario: `the sample app's event-loop delay while the batches reach ${STREAMS} unread streams`,
        detail: 'how late a 10 ms timer ran (monitorEventLoopDelay, preloaded): the longest the loop was held',
        ours: { kind: 'latency', ...loop, samples: 1 },
      });
    } finally {
      for (const socket of sockets) socket.destroy();
      app.kill('SIGTERM');
    }
  },
};
