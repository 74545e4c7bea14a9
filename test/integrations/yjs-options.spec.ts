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
});
