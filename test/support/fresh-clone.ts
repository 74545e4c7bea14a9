import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { PACKAGE_ROOT } from './built-package.js';

const run = promisify(execFile);

export interface Outcome {
  code: number;
  output: string;
}

/**
 * What a fresh clone holds, in a new temp folder: the tracked (and new, unignored) files, no dist/ and no .tmp/;
 * node_modules as `npm ci` left it (a link to this clone's). The caller removes the folder.
 */
export function freshClone(): string {
  const clone = mkdtempSync(join(tmpdir(), 'nss-clone-'));
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: PACKAGE_ROOT,
    encoding: 'utf8',
  });
  for (const file of files.split('\n').filter(Boolean)) {
    mkdirSync(dirname(join(clone, file)), { recursive: true });
    cpSync(join(PACKAGE_ROOT, file), join(clone, file), { force: true });
  }
  symlinkSync(join(PACKAGE_ROOT, 'node_modules'), join(clone, 'node_modules'));
  return clone;
}

/** Runs a command to its end; its exit code and what it printed (stdout and stderr). */
export async function outcomeOf(
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(command, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 1 << 24 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, output: stdout + stderr };
  }
}
