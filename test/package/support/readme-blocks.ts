import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../support/built-package.js';

/** The README sections whose every code block runs, as it is, in a host app. */
export const TESTED_SECTIONS = ['Install', 'Use your own MikroORM', 'CommonJS apps', 'Migrations'] as const;

export type HostName = 'nest11' | 'nest12';
/** `memory`: before any optional peer is installed; `postgres`: after. */
export type Phase = 'memory' | 'postgres';

/**
 * A code block of the README and where it goes, from the HTML comment just before it:
 * `<!-- readme-test: <host>[+<host>] <phase> <file in the app | run:<name>> -->`. A `run` block is shell lines.
 */
export interface ReadmeBlock {
  readonly section: string;
  /** The apps it goes into: one, or both (`nest11+nest12`) for code that is the same in CommonJS and ESM. */
  readonly hosts: readonly HostName[];
  readonly phase: Phase;
  /** A file of the host app (`src/app.module.ts`), or undefined for a `run` block. */
  readonly file?: string;
  /** The name of a `run` block. */
  readonly run?: string;
  readonly code: string;
}

const MARKER = /^<!-- readme-test: ((?:nest11|nest12)(?:\+nest12)?) (memory|postgres) (run:[a-z0-9-]+|[\w./-]+) -->$/;

/** Every fenced code block of README.md with its section and its marker (when it has one). */
export function readmeCodeBlocks(): { section: string; marker?: string; code: string }[] {
  const lines = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8').split('\n');
  const blocks: { section: string; marker?: string; code: string }[] = [];
  let section = '';
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    if (line.startsWith('## ')) section = line.slice(3);
    if (!line.startsWith('```') || line === '```') continue;
    const end = lines.indexOf('```', index + 1);
    const before = lines
      .slice(0, index)
      .reverse()
      .find((earlier) => earlier.trim() !== '');
    blocks.push({
      section,
      marker: before?.startsWith('<!-- readme-test:') ? before : undefined,
      code: `${lines.slice(index + 1, end).join('\n')}\n`,
    });
    index = end;
  }
  return blocks;
}

/** The marked blocks, in README order; a marker that does not parse fails loudly. */
export function readmeBlocks(): ReadmeBlock[] {
  return readmeCodeBlocks()
    .filter((block) => block.marker !== undefined)
    .map(({ section, marker, code }) => {
      const [, hosts, phase, target] = MARKER.exec(marker!) ?? [];
      if (!target) throw new Error(`README marker does not parse: ${marker}`);
      const run = target.startsWith('run:') ? target.slice(4) : undefined;
      const names = hosts!.split('+') as HostName[];
      return { section, hosts: names, phase: phase as Phase, file: run ? undefined : target, run, code };
    });
}
