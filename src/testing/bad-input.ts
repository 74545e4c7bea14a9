import { isDeepStrictEqual } from 'node:util';
import { StorageValidationError, type StorageProvider } from '../index.js';
import { makeDelta, readStorage } from './conformance-helpers.js';
import { expect } from './runner.js';

/** One public call that takes the bad value in one argument; `argument` is the name the error must carry. */
export interface BadInputSite {
  name: string;
  argument: string;
  call(provider: StorageProvider, value: never): unknown;
}

export type LabelledValues = ReadonlyArray<readonly [label: string, value: unknown]>;

/** A document, its deltas and snapshot, and awareness entries, so that a stray write or delete shows. */
export async function seedStorage({ documents, awareness }: StorageProvider): Promise<void> {
  await documents.addDeltas('doc', [makeDelta('d1', 'a', 1), makeDelta('d2', 'a', 2), makeDelta('d3', 'b', 1)]);
  await documents.saveSnapshot('doc', new Uint8Array([1, 2, 3]), { a: 1 });
  await awareness.set('doc', 'a', { cursor: 1 }, 1, { connectionId: 'conn' });
  await awareness.set('room', 'b', { cursor: 2 }, 1, { connectionId: 'conn' });
}

/**
 * Calls `site` with every value and checks each call returns a promise (or async iterable) that rejects with a
 * StorageValidationError naming `site.argument`, and that storage reads the same afterwards. Problems are
 * collected so that one failure lists every value that misbehaved.
 */
export async function expectRejectedEverywhere(
  provider: StorageProvider,
  sites: readonly BadInputSite[],
  values: LabelledValues,
): Promise<void> {
  await seedStorage(provider);
  const before = await readStorage(provider);
  const problems: string[] = [];
  for (const site of sites) {
    for (const [label, value] of values) {
      const problem = await rejectionProblem(() => site.call(provider, value as never), site.argument);
      if (problem) problems.push(`${site.name} with ${label}: ${problem}`);
      // Stop at the first stray write: every later comparison would fail because of it.
      if (!isDeepStrictEqual(await readStorage(provider), before)) {
        problems.push(`${site.name} with ${label}: storage changed`);
        expect(problems).toEqual([]);
      }
    }
  }
  expect(problems).toEqual([]);
}

/** Asserts a single call is rejected with a StorageValidationError naming `argument`. */
export async function expectValidationError(call: () => unknown, argument: string): Promise<void> {
  expect(await rejectionProblem(call, argument)).toBeUndefined();
}

async function rejectionProblem(call: () => unknown, argument: string): Promise<string | undefined> {
  let settled: unknown;
  try {
    const result = call();
    settled = isAsyncIterable(result) ? drainFirstStep(result) : result;
  } catch (error) {
    return `threw synchronously (${describeError(error)})`;
  }
  if (typeof (settled as PromiseLike<unknown> | undefined)?.then !== 'function') return 'did not return a promise';
  try {
    await settled;
    return 'resolved instead of rejecting';
  } catch (error) {
    if (!(error instanceof StorageValidationError)) return `rejected with ${describeError(error)}`;
    if (!error.argument.startsWith(argument)) return `error names ${JSON.stringify(error.argument)}, not ${argument}`;
    if (!error.message.includes(argument)) return `message ${JSON.stringify(error.message)} does not name ${argument}`;
    return undefined;
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === 'function';
}

/** Opening the iterator and asking for the first item must not throw synchronously either. */
function drainFirstStep(iterable: AsyncIterable<unknown>): Promise<void> {
  const iterator = iterable[Symbol.asyncIterator]();
  const first = iterator.next();
  return (async () => {
    for (let step = await first; !step.done; step = await iterator.next());
  })();
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
