import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root; compiled, this file runs from `.tmp/bench/harness/`. */
export const REPOSITORY_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
if (!existsSync(join(REPOSITORY_ROOT, 'package.json'))) throw new Error('run the benchmark with `npm run bench`');

export const RESULTS_FOLDER = join(REPOSITORY_ROOT, 'bench', 'results');
/** The newest run's results, whatever its mode; each run is also kept under its start time. */
export const LATEST_RESULTS = join(RESULTS_FOLDER, 'latest.json');
export const CATCH_UP_CHART = join(REPOSITORY_ROOT, 'docs', 'catch-up.svg');
