import { StorageValidationError } from '../../src/index.js';

/** Arguments whose errors may name a part of them: `since["a"]`, `deltas[1].vectorClock`, `delta.data[2]`. */
const WHOLE_VALUE_ARGUMENTS = new Set(['delta', 'deltas', 'options']);

/** True when `actual` is `expected` or, for a structured argument, a field inside it. */
export function namesArgument(actual: string, expected: string): boolean {
  if (actual === expected) return true;
  if (WHOLE_VALUE_ARGUMENTS.has(expected) || !actual.startsWith(expected)) return false;
  return /^[.[ ]/.test(actual.slice(expected.length));
}

/**
 * Calls `call` and describes what went wrong, or returns undefined when it behaved: it must not throw
 * synchronously, must return a promise (an async iterable must reject on its first step), and must
 * reject with a `StorageValidationError` naming `argument`.
 */
export async function validationProblem(call: () => unknown, argument: string): Promise<string | undefined> {
  let result: unknown;
  try {
    result = call();
  } catch (error) {
    return `threw synchronously: ${describeError(error)}`;
  }
  const settled = isAsyncIterable(result) ? firstStep(result) : result;
  if (typeof (settled as PromiseLike<unknown> | null)?.then !== 'function')
    return 'returned something that is not a promise';
  try {
    await settled;
    return 'resolved instead of rejecting';
  } catch (error) {
    if (!(error instanceof StorageValidationError)) return `rejected with ${describeError(error)}`;
    if (!namesArgument(error.argument, argument))
      return `error.argument is ${JSON.stringify(error.argument)}, expected ${argument}`;
    if (!error.message.includes(error.argument)) return `the message does not name the argument: ${error.message}`;
    return undefined;
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === 'function';
}

/** Opening the iterator and asking for the first item, without throwing synchronously either. */
function firstStep(iterable: AsyncIterable<unknown>): Promise<unknown> {
  try {
    return iterable[Symbol.asyncIterator]().next();
  } catch (error) {
    return Promise.resolve(`threw synchronously: ${describeError(error)}`).then((message) => {
      throw new Error(message);
    });
  }
}

export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
