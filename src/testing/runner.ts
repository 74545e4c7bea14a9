// The test runner the conformance cases register with: Jest's globals, or the functions a caller passes in
// (Vitest's, or Jest's from `@jest/globals`). The cases import `describe`, `it` and `expect` from here; each
// forwards to the runner of the current run, so that the package bundles no runner and imports none.
import type { describe as JestDescribe, expect as JestExpect, it as JestIt } from '@jest/globals';
import type { ConformanceTestRunner } from './conformance-context.js';

const RUNNER_FUNCTIONS = ['describe', 'it', 'expect', 'beforeEach', 'afterEach', 'afterAll'] as const;

let current: ConformanceTestRunner | undefined;

/**
 * The runner `given`, or the test runner's globals (Jest's, Vitest's with `globals: true`). One runner per test
 * file: the cases' `expect` runs inside the tests, after registration.
 */
export function useRunner(given: Partial<ConformanceTestRunner> | undefined): ConformanceTestRunner {
  const candidate = (given ?? globalThis) as Partial<Record<(typeof RUNNER_FUNCTIONS)[number], unknown>>;
  const missing = RUNNER_FUNCTIONS.filter((name) => typeof candidate[name] !== 'function');
  if (missing.length > 0)
    throw new TypeError(
      given
        ? `runner lacks ${missing.join(', ')}: pass { describe, it, expect, beforeEach, afterEach, afterAll } of the test runner`
        : `no test runner globals (${missing.join(', ')}): pass the runner's functions, e.g. import { describe, it, expect, beforeEach, afterEach, afterAll } from 'vitest'`,
    );
  if (current && current !== candidate && given)
    throw new TypeError('runner differs from the one this test file registered the conformance suite with');
  current = candidate as ConformanceTestRunner;
  return current;
}

/** A stand-in for the runner's function `name`: calls and property reads go to the current runner's. */
function forward<T>(name: (typeof RUNNER_FUNCTIONS)[number]): T {
  const target = (): Record<PropertyKey, unknown> & ((...args: unknown[]) => unknown) => {
    if (!current) throw new Error('the conformance cases run only inside runStorageConformance');
    return current[name] as Record<PropertyKey, unknown> & ((...args: unknown[]) => unknown);
  };
  return new Proxy(function conformanceRunnerFunction() {}, {
    apply: (_, thisArg, args) => Reflect.apply(target(), thisArg, args),
    get: (_, property) => {
      const owner = target();
      const value = Reflect.get(owner, property);
      // Vitest's `it.each` reads the test API from `this`; its `expect.any` and the like must stay as they are.
      return name !== 'expect' && typeof value === 'function' ? value.bind(owner) : value;
    },
  }) as T;
}

export const describe: typeof JestDescribe = forward('describe');
export const it: typeof JestIt = forward('it');
export const expect: typeof JestExpect = forward('expect');
