import { jest } from '@jest/globals';
import type { INestApplication, LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { STORAGE_PROVIDER, StorageModule, type StorageModuleOptions, type StorageProvider } from '../../src/index.js';
import { eventually, sleep } from '../fixtures/eventually.js';
import { fixtureScript } from '../support/built-package.js';
import { exitOf, runNode } from '../support/node-process.js';
import { startNestApp } from '../support/nest-app.js';

const INTERVAL_MS = 50;
/** Long enough for several prune ticks to have happened if the timer were running. */
const SEVERAL_INTERVALS_MS = INTERVAL_MS * 6;

async function startApp(
  options: StorageModuleOptions,
  logger?: LoggerService,
): Promise<{ app: INestApplication; provider: StorageProvider }> {
  const app = await startNestApp(StorageModule.forRoot(options), { logger });
  return { app, provider: app.get<StorageProvider>(STORAGE_PROVIDER) };
}

/** Writes one entry that expires after 1 ms and waits until it has. */
async function writeExpiredEntry(provider: StorageProvider): Promise<void> {
  await provider.awareness.set('doc', 'client', { cursor: 1 }, 1);
  await sleep(5);
}

describe('awareness prune timer', () => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
    jest.restoreAllMocks();
  });

  it('removes expired entries on its own while the app runs', async () => {
    const started = await startApp({ driver: 'memory', awarenessTimeoutMs: 1, awarenessPruneIntervalMs: INTERVAL_MS });
    app = started.app;
    const prune = jest.spyOn(started.provider.awareness, 'pruneExpired');
    await writeExpiredEntry(started.provider);
    // Once expired, only a prune can take the entry off the expired list.
    await eventually(async () => (await started.provider.awareness.getExpired()).length === 0, 'expired entry pruned');
    expect(prune).toHaveBeenCalled();
  });

  it('with awarenessPruneIntervalMs 0, never prunes: expired entries stay until pruneExpired is called', async () => {
    const started = await startApp({ driver: 'memory', awarenessTimeoutMs: 1, awarenessPruneIntervalMs: 0 });
    app = started.app;
    const prune = jest.spyOn(started.provider.awareness, 'pruneExpired');
    await writeExpiredEntry(started.provider);
    await sleep(SEVERAL_INTERVALS_MS);
    expect(prune).not.toHaveBeenCalled();
    expect(await started.provider.awareness.getExpired()).toHaveLength(1);
  });

  it('does not prune before the app has started', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [StorageModule.forRoot({ driver: 'memory', awarenessPruneIntervalMs: INTERVAL_MS })],
    }).compile();
    const prune = jest.spyOn(moduleRef.get<StorageProvider>(STORAGE_PROVIDER).awareness, 'pruneExpired');
    await sleep(SEVERAL_INTERVALS_MS);
    expect(prune).not.toHaveBeenCalled();
    await moduleRef.close();
  });

  it('stops pruning when the app closes', async () => {
    const started = await startApp({ driver: 'memory', awarenessPruneIntervalMs: INTERVAL_MS });
    const prune = jest.spyOn(started.provider.awareness, 'pruneExpired');
    await eventually(() => prune.mock.calls.length > 0, 'first prune');
    await started.app.close();
    const callsAtClose = prune.mock.calls.length;
    await sleep(SEVERAL_INTERVALS_MS);
    expect(prune).toHaveBeenCalledTimes(callsAtClose);
  });

  it('keeps its timer from holding the process open', async () => {
    // Whether a timer holds the process is a property of the timer itself (hasRef), so look at the
    // intervals created while the app starts; the next test checks the same thing on a real process.
    const setInterval = jest.spyOn(globalThis, 'setInterval');
    const started = await startApp({ driver: 'memory', awarenessPruneIntervalMs: INTERVAL_MS });
    app = started.app;
    const intervals = setInterval.mock.results.map((result) => result.value as NodeJS.Timeout);
    expect(setInterval.mock.calls.some(([, delay]) => delay === INTERVAL_MS)).toBe(true);
    expect(intervals.filter((timer) => timer.hasRef())).toEqual([]);
  });

  it('lets a process whose app is left open exit by itself once the timer has pruned', async () => {
    const left = runNode(fixtureScript('storage-app-left-open.mjs'));
    expect(await exitOf(left)).toEqual({ code: 0, signal: null });
    expect(left.output()).toContain('pruned; leaving the app open');
  });

  it('keeps pruning after a prune fails, logging a warning that does not repeat a raw driver error', async () => {
    const warnings: string[] = [];
    const logger = { log() {}, error() {}, warn: (message: unknown) => void warnings.push(String(message)) };
    const started = await startApp({ driver: 'memory', awarenessPruneIntervalMs: INTERVAL_MS }, logger);
    app = started.app;
    const prune = jest
      .spyOn(started.provider.awareness, 'pruneExpired')
      .mockRejectedValue(new Error('connect failed: postgresql://app:password=secret@db.internal/sync'));
    await eventually(() => prune.mock.calls.length >= 3, 'three prune attempts');
    expect(warnings.some((warning) => warning.includes('pruning expired awareness entries failed'))).toBe(true);
    expect(warnings.join('\n')).not.toContain('password=secret');
  });

  it('does not start a prune while the previous one is still running', async () => {
    const started = await startApp({ driver: 'memory', awarenessPruneIntervalMs: INTERVAL_MS });
    app = started.app;
    const prune = jest.spyOn(started.provider.awareness, 'pruneExpired').mockReturnValue(new Promise<number>(() => {}));
    await eventually(() => prune.mock.calls.length > 0, 'first prune');
    await sleep(SEVERAL_INTERVALS_MS);
    expect(prune).toHaveBeenCalledTimes(1);
  });
});
