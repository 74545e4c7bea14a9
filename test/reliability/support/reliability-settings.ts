/**
 * Knobs of the reliability suite, read from the environment so CI is reproducible and a longer run is one flag away:
 *
 * - `RELIABILITY_SEED`: the fast-check seed (default: a fixed constant, so every CI run replays the same cases);
 * - `RELIABILITY_RUNS`: model-based runs on the memory driver (default 200); postgres runs a quarter of it;
 * - `LONG=1`: ten times the default runs and longer command sequences, for a local soak.
 */
export interface ReliabilitySettings {
  readonly seed: number;
  readonly memoryRuns: number;
  readonly postgresRuns: number;
  readonly maxCommands: number;
  readonly long: boolean;
}

const DEFAULT_SEED = 20261127;
const DEFAULT_MEMORY_RUNS = 200;

export function reliabilitySettings(env: NodeJS.ProcessEnv = process.env): ReliabilitySettings {
  const long = env.LONG === '1' || env.LONG === 'true';
  const seed = integerVariable(env, 'RELIABILITY_SEED') ?? DEFAULT_SEED;
  const memoryRuns = integerVariable(env, 'RELIABILITY_RUNS') ?? DEFAULT_MEMORY_RUNS * (long ? 10 : 1);
  return {
    seed,
    memoryRuns,
    postgresRuns: Math.max(1, Math.ceil(memoryRuns / 4)),
    maxCommands: long ? 120 : 40,
    long,
  };
}

function integerVariable(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer, got ${JSON.stringify(raw)}`);
  return value;
}
