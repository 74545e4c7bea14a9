// How busy a run kept the machine: each thread's event-loop utilisation and the share of CPU time in use.
import { readFile } from 'node:fs/promises';
import type { EventLoopUtilization } from 'node:perf_hooks';
import type { Worker } from 'node:worker_threads';

/** The machine's CPU time so far (all cores, in clock ticks): busy and total; null where /proc/stat is not. */
async function cpuTimes(): Promise<{ busy: number; total: number } | null> {
  const line = await readFile('/proc/stat', 'utf8').then(
    (text) => text.split('\n')[0]!,
    () => null,
  );
  if (!line?.startsWith('cpu ')) return null;
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number); // user nice system idle iowait irq softirq steal
  const total = ticks.reduce((sum, value) => sum + value, 0);
  return { busy: total - ticks[3]! - ticks[4]!, total };
}

/**
 * Starts a measured window; its end answers the event-loop utilisation over it of this thread (`elu.parent`)
 * and of each named worker (`elu.<name>`: 1 is a saturated thread), and the share of the machine's CPU time
 * that was busy (`cpuBusy`, all cores: other processes such as a database server included), and tells `show`
 * the same in words.
 */
export async function measureUtilisation(
  workers: readonly (readonly [string, Worker])[],
  show: (line: string) => void,
): Promise<() => Promise<Record<string, number>>> {
  type Meter = (before?: EventLoopUtilization) => EventLoopUtilization;
  const meters: [string, Meter][] = [
    ['parent', (before) => performance.eventLoopUtilization(before)],
    ...workers.map(([name, worker]): [string, Meter] => [
      name,
      (before) => worker.performance.eventLoopUtilization(before),
    ]),
  ];
  const cpuBefore = await cpuTimes();
  const before = meters.map(([, meter]) => meter());
  return async () => {
    const extra: Record<string, number> = {};
    meters.forEach(([name, meter], index) => (extra[`elu.${name}`] = meter(before[index]).utilization));
    const cpuAfter = await cpuTimes();
    if (cpuBefore && cpuAfter) extra['cpuBusy'] = (cpuAfter.busy - cpuBefore.busy) / (cpuAfter.total - cpuBefore.total);
    const shown = meters.map(([name]) => `${name} ${extra[`elu.${name}`]!.toFixed(2)}`).join(', ');
    const cpu = extra['cpuBusy'] === undefined ? '' : `; machine CPU ${(extra['cpuBusy'] * 100).toFixed(0)}% busy`;
    show(`event-loop utilisation ${shown}${cpu}`);
    return extra;
  };
}
