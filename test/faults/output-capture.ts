import type { LoggerService } from '@nestjs/common';
import { inspect } from 'node:util';

/** A Nest logger that keeps every line it is given (messages, stacks, contexts) instead of printing them. */
export class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  readonly log = this.keeper('log');
  readonly error = this.keeper('error');
  readonly warn = this.keeper('warn');
  readonly debug = this.keeper('debug');
  readonly verbose = this.keeper('verbose');
  readonly fatal = this.keeper('fatal');

  private keeper(level: keyof LoggerService): (...parts: unknown[]) => void {
    return (...parts) =>
      void this.lines.push(
        `${level}: ${parts.map((part) => (typeof part === 'string' ? part : inspect(part, { depth: 10 }))).join(' ')}`,
      );
  }
}

/**
 * Captures what this process writes to stdout and stderr, and what reaches `console`, until `restore()`:
 * a driver that prints on its own (knex warnings, pg notices) would show here.
 */
export function captureProcessOutput(): { text(): string; restore(): void } {
  const chunks: string[] = [];
  const stdoutWrite = process.stdout.write;
  const stderrWrite = process.stderr.write;
  const keepWrite = (chunk: unknown): boolean => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  process.stdout.write = keepWrite as typeof process.stdout.write;
  process.stderr.write = keepWrite as typeof process.stderr.write;
  const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
  const originals = methods.map((method) => console[method]);
  for (const method of methods)
    console[method] = (...parts: unknown[]) =>
      void chunks.push(parts.map((part) => inspect(part, { depth: 10 })).join(' '));
  return {
    text: () => chunks.join('\n'),
    restore() {
      process.stdout.write = stdoutWrite;
      process.stderr.write = stderrWrite;
      methods.forEach((method, index) => (console[method] = originals[index]!));
    },
  };
}

/** Everything an error can show a log: message, stack, and the whole cause chain as `inspect` prints it. */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return inspect(error, { depth: 10 });
  return [error.message, error.stack ?? '', inspect(error, { depth: 10 })].join('\n');
}

/** Strings a secret-free output must not contain, found in `texts` (empty when clean). */
export function leakedSecrets(texts: readonly string[], secrets: readonly string[]): string[] {
  const found: string[] = [];
  for (const text of texts) {
    for (const secret of secrets)
      if (secret && text.includes(secret)) found.push(`${JSON.stringify(secret)} in: ${text.slice(0, 300)}`);
    // Any URL that carries credentials, whichever they are.
    const url = /postgres(?:ql)?:\/\/[^\s/@]*:[^\s/@]*@/i.exec(text);
    if (url)
      found.push(
        `a connection string with credentials in: ${text.slice(Math.max(0, url.index - 100), url.index + 200)}`,
      );
  }
  return found;
}
