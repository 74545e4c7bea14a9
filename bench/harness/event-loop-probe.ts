// Preloaded (`node --import`) into a process the bench starts: watches how late its event loop runs, and
// answers the bench's 'event-loop' message over the IPC channel with what it saw since the last one.
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** What the probe answers: how late a 10 ms timer ran, in ms (median, 99th percentile, longest). */
export interface EventLoopDelay {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
process.on('message', (message) => {
  if (message !== 'event-loop') return;
  const [p50Ms, p99Ms, maxMs] = [delay.percentile(50), delay.percentile(99), delay.max].map((ns) => ns / 1e6);
  const answer: EventLoopDelay = { p50Ms: p50Ms!, p99Ms: p99Ms!, maxMs: maxMs! };
  delay.reset();
  process.send?.(answer);
});
// The IPC channel must not keep the process alive: it ends as it would without the probe.
process.channel?.unref();
