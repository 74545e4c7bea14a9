import { jest } from '@jest/globals';
import { Subject } from 'rxjs';
import type { StorageChange } from '../../src/index.js';
import { resolveStorageOptions } from '../../src/storage/contract/options.js';
import { MemoryStorageProvider } from '../../src/storage/memory/memory-storage.provider.js';
import { YjsStorageExtension, newWriterId, type YjsStorageExtensionOptions } from '../../src/yjs/index.js';

const storage = new MemoryStorageProvider(resolveStorageOptions({ driver: 'memory' }));
afterAll(() => storage.close());

describe('the Yjs storage extension options', () => {
  it.each<[string, Partial<YjsStorageExtensionOptions>]>([
    ['options.storage', { storage: { documents: {}, changes: () => new Subject<StorageChange>() } as never }],
    ['options.writerIdPrefix', { writerIdPrefix: 'a:b' }],
    ['options.snapshotEveryDeltas', { snapshotEveryDeltas: -1 }],
    ['options.snapshotEveryBytes', { snapshotEveryBytes: 1.5 }],
    ['options.maxBatch', { maxBatch: 0 }],
    ['options.maxUpdateBytes', { maxUpdateBytes: 0 }],
    ['options.maxUpdateStructs', { maxUpdateStructs: 2.5 }],
    ['options.maxDocumentBytes', { maxDocumentBytes: -1 }],
    ['options.maxPendingBytes', { maxPendingBytes: 'big' as never }],
    ['options.retryDelayMs.max', { retryDelayMs: { min: 100, max: 10 } }],
    ['options.flushTimeoutMs', { flushTimeoutMs: Number.NaN }],
    ['options.compact', { compact: 'yes' as never }],
    ['options.documentId', { documentId: 'doc' as never }],
    ['options.logger', { logger: { warn: () => undefined } as never }],
  ])('refuses %s when it is wrong, naming it', (argument, options) => {
    expect(() => new YjsStorageExtension({ storage, ...options })).toThrow(
      expect.objectContaining({ name: 'StorageValidationError', argument }),
    );
  });

  it('gives every extension a writer id of its own behind the prefix, and takes undefined as the default', () => {
    const first = new YjsStorageExtension({ storage, writerIdPrefix: 'eu-1.', snapshotEveryDeltas: undefined });
    const second = new YjsStorageExtension({ storage, writerIdPrefix: 'eu-1.' });
    expect(first.writerId).toMatch(/^eu-1\.[A-Za-z0-9_-]{16}$/);
    expect(second.writerId).not.toBe(first.writerId);
    expect(first.options.snapshotEveryDeltas).toBe(500);
    expect(newWriterId()).toMatch(/^y[A-Za-z0-9_-]{16}$/);
  });

  it('reports errors through the given logger: warn while it retries, error once it stops storing a document', () => {
    const lines: string[] = [];
    const logger = {
      warn: (line: string) => lines.push(`warn ${line}`),
      error: (line: string) => lines.push(`error ${line}`),
    };
    const extension = new YjsStorageExtension({ storage, logger });
    extension.options.onError(new Error('database down'), { operation: 'store', documentId: 'notes', attempt: 2 });
    extension.options.onError(new TypeError('bad'), { operation: 'store', documentId: 'notes', fatal: true });
    expect(lines).toEqual([
      'warn store failed {"operation":"store","documentId":"notes","attempt":2}: Error: database down',
      'error store failed {"operation":"store","documentId":"notes","fatal":true}: TypeError: bad',
    ]);
  });

  it("reports through Nest's Logger with the context YjsStorageExtension by default, never console.error", () => {
    const consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const written: string[] = [];
    const keep = (chunk: unknown) => {
      written.push(String(chunk));
      return true;
    };
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(keep as never);
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(keep as never);
    try {
      new YjsStorageExtension({ storage }).options.onError(new Error('database down'), { operation: 'pull' });
    } finally {
      for (const spy of [stdout, stderr]) spy.mockRestore();
      consoleError.mockRestore();
    }
    expect(consoleError).not.toHaveBeenCalled();
    expect(written.join('')).toMatch(
      /\[YjsStorageExtension\].*pull failed \{"operation":"pull"\}: Error: database down/,
    );
  });
});
