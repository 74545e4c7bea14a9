import fc from 'fast-check';
import type { StorageProvider } from '../../src/index.js';
import { ContractModel } from './model/contract-model.js';
import { storageCommands, type ModelReal } from './model/model-commands.js';
import { reliabilitySettings } from './support/reliability-settings.js';
import { DRIVERS, lazyTargets, memoryTarget } from '../support/storage-targets.js';
import { DOCUMENT_ID_POOL } from '../fixtures/tricky-ids.js';

const settings = reliabilitySettings();
// Nothing may expire in the middle of a run: the model has no clock.
const AN_HOUR = 3_600_000;

/** Hands each run empty storage. */
type StorageForRun = () => Promise<StorageProvider>;

/** Runs random command sequences against empty storage and the model; resolves with the calls made. */
async function runAgainstModel(
  storageForRun: StorageForRun,
  numRuns: number,
  parameters: Partial<fc.Parameters<[Iterable<fc.AsyncCommand<ContractModel, ModelReal>>]>> = {},
): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  await fc.assert(
    fc.asyncProperty(storageCommands(settings.maxCommands), async (commands) => {
      const provider = await storageForRun();
      await fc.asyncModelRun(async () => ({ model: new ContractModel(), real: { provider, calls } }), commands);
    }),
    { seed: settings.seed, numRuns, ...parameters },
  );
  return calls;
}

/**
 * One provider for the whole property, emptied before each run: every id a run can touch comes from the
 * pool, and `delete` removes a document with its awareness entries. Cheaper than a schema per run on postgres.
 */
function emptiedBeforeEachRun(provider: StorageProvider): StorageForRun {
  return async () => {
    for (const id of DOCUMENT_ID_POOL) await provider.documents.delete(id);
    const left = await provider.documents.getDocumentIds();
    if (left.length > 0) throw new Error(`storage was not emptied between runs: ${JSON.stringify(left)}`);
    return provider;
  };
}

function report(driver: string, runs: number, calls: Map<string, number>): void {
  if (process.env.RELIABILITY_REPORT !== '1') return;
  const total = [...calls.values()].reduce((sum, n) => sum + n, 0);
  console.info(`model-based ${driver}: seed ${settings.seed}, ${runs} runs, ${total} calls`, Object.fromEntries(calls));
}

const targets = lazyTargets();
afterAll(() => targets.dispose());

describe.each(DRIVERS)('the %s driver against the contract model', (driver) => {
  it('answers every random sequence of calls exactly as the model of CONTRACT.md does', async () => {
    const runs = driver === 'memory' ? settings.memoryRuns : settings.postgresRuns;
    const provider = await (
      await targets.get(driver)
    ).createProvider({
      awarenessTimeoutMs: AN_HOUR,
      historyRetentionMs: AN_HOUR,
    });
    const calls = await runAgainstModel(emptiedBeforeEachRun(provider), runs);
    report(driver, runs, calls);
    expect(calls.get('addDeltas')).toBeGreaterThan(0);
    expect(calls.get('getChangesAt')).toBeGreaterThan(0);
  }, 600_000);
});

describe('the model-based test itself', () => {
  it('catches a store that reports a resent delta as new, and prints the shrunk reproduction', async () => {
    const target = memoryTarget();
    const provider = await target.createProvider({ awarenessTimeoutMs: AN_HOUR });
    // A driver bug the model must notice: resends are answered `true`.
    const documents = Object.create(provider.documents) as StorageProvider['documents'];
    documents.addDelta = async (documentId, delta) => {
      await provider.documents.addDelta(documentId, delta);
      return true;
    };
    const forgetful = { driver: 'memory', documents, awareness: provider.awareness } as StorageProvider;
    const failure = await runAgainstModel(emptiedBeforeEachRun(forgetful), 200).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    await target.dispose();
    expect(failure?.message).toMatch(/Counterexample: \[.*documents\.addDelta\(/s);
    expect(String((failure?.cause as Error | undefined)?.message)).toMatch(/addDelta diverged from the model/);
    // Shrinking leaves the two calls that show the bug: the first write and the resend.
    const shrunk = /Counterexample: \[(.*)\]\r?\n/.exec(failure!.message)?.[1] ?? '';
    expect(shrunk.split('documents.').length - 1).toBe(2);
  }, 120_000);
});
