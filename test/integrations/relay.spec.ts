import type { RelayedMessage, StorageProvider, StorageRelay } from '../../src/index.js';
import { StorageUnavailableError, StorageValidationError } from '../../src/index.js';
import { MAX_RELAY_MESSAGE_BYTES, relayPayloads } from '../../src/storage/changes/relay.js';
import { parseHint } from '../../src/storage/changes/postgres-change-listener.js';
import { eventually, sleep } from '../fixtures/eventually.js';
import { uniqueName } from '../support/postgres.js';
import { DRIVERS, lazyTargets } from '../support/storage-targets.js';

type RelayingProvider = StorageProvider & StorageRelay;

const targets = lazyTargets();
afterAll(() => targets.dispose());

/** Collects what a subscription of `provider` receives, until the test ends. */
function collect(provider: RelayingProvider, documentId?: string): { received: RelayedMessage[]; stop(): void } {
  const received: RelayedMessage[] = [];
  const subscription = provider.relayed(documentId).subscribe((message) => received.push(message));
  return { received, stop: () => subscription.unsubscribe() };
}

describe.each(DRIVERS)('the relay of the %s driver', (driver) => {
  let sender: RelayingProvider;
  let receiver: RelayingProvider;
  const stops: (() => void)[] = [];
  const listen = (provider: RelayingProvider, documentId?: string): RelayedMessage[] => {
    const { received, stop } = collect(provider, documentId);
    stops.push(stop);
    return received;
  };

  beforeAll(async () => {
    const target = await targets.get(driver);
    // Postgres: two providers on one schema, as two instances would be. Memory: one instance.
    const schema = driver === 'postgres' ? { schema: uniqueName('relay') } : {};
    sender = (await target.createProvider(schema)) as RelayingProvider;
    receiver = driver === 'postgres' ? ((await target.createProvider(schema)) as RelayingProvider) : sender;
  });
  afterEach(() => stops.splice(0).forEach((stop) => stop()));

  it('delivers a message to the subscribers of its document on every instance, with its sender', async () => {
    const onReceiver = listen(receiver, 'doc-1');
    const everything = listen(receiver);
    const otherDocument = listen(receiver, 'doc-2');
    await sleep(driver === 'postgres' ? 300 : 0); // the receiver's listening connection opens
    await sender.relay('doc-1', 'hello', { from: 'server-a' });
    await eventually(() => onReceiver.length === 1 && everything.length === 1, 'the message arrives');
    expect(onReceiver).toEqual([{ documentId: 'doc-1', from: 'server-a', message: 'hello' }]);
    await sleep(100);
    expect(otherDocument).toEqual([]);
    expect(onReceiver).toHaveLength(1); // once, not again through the instance's own notification
  });

  it('delivers only the latest of the messages relayed under one key within a window, and every unkeyed one', async () => {
    const received = listen(receiver, 'cursor');
    await sleep(driver === 'postgres' ? 300 : 0);
    for (let move = 1; move <= 5; move++) await sender.relay('cursor', `move ${move}`, { from: 'a', key: 'client-1' });
    await sender.relay('cursor', 'event 1', { from: 'a' });
    await sender.relay('cursor', 'event 2', { from: 'a' });
    await eventually(() => received.some((message) => message.message === 'event 2'), 'the messages arrive');
    await sleep(100);
    const messages = received.map((message) => message.message);
    expect(messages).toContain('move 5');
    expect(messages.filter((message) => message === 'event 1' || message === 'event 2')).toEqual([
      'event 1',
      'event 2',
    ]);
    // Memory delivers each at once; postgres sends one notification per window, the latest move only.
    if (driver === 'postgres' && sender !== receiver)
      expect(messages.filter((m) => m.startsWith('move'))).toEqual(['move 5']);
  });

  it.each([
    ['documentId', () => sender.relay('', 'x', { from: 'a' })],
    ['message', () => sender.relay('doc', 42 as unknown as string, { from: 'a' })],
    ['message', () => sender.relay('doc', 'x'.repeat(MAX_RELAY_MESSAGE_BYTES + 1), { from: 'a' })],
    ['message', () => sender.relay('doc', '\u0001'.repeat(MAX_RELAY_MESSAGE_BYTES / 2), { from: 'a' })],
    ['options', () => sender.relay('doc', 'x', undefined as unknown as { from: string })],
    ['options.from', () => sender.relay('doc', 'x', { from: '' })],
    ['options.key', () => sender.relay('doc', 'x', { from: 'a', key: 'k'.repeat(256) })],
  ])('rejects a bad %s with StorageValidationError naming it, and sends nothing', async (argument, call) => {
    const received = listen(receiver);
    await sleep(driver === 'postgres' ? 300 : 0);
    await expect(call()).rejects.toThrow(StorageValidationError);
    await expect(call()).rejects.toMatchObject({ argument });
    await sleep(100);
    expect(received).toEqual([]);
  });
});

describe.each(DRIVERS)('the relay of a closed %s provider', (driver) => {
  it('completes its subscriptions and rejects relay() with StorageUnavailableError', async () => {
    const provider = (await (await targets.get(driver)).createProvider()) as RelayingProvider;
    let completed = false;
    provider.relayed('doc').subscribe({ complete: () => (completed = true) });
    await provider.close();
    expect(completed).toBe(true);
    await expect(provider.relay('doc', 'late', { from: 'a' })).rejects.toThrow(StorageUnavailableError);
  });
});

describe('the relay’s notification payloads', () => {
  it('stay under PostgreSQL’s 8000-byte limit and carry every message, however many there are', () => {
    const messages = Array.from({ length: 200 }, (_, i) => ({
      documentId: `document-${i}`,
      from: 'server-a',
      message: `${'é'.repeat(i * 10)}${i}`,
    }));
    const payloads = relayPayloads('origin-1', messages);
    expect(payloads.length).toBeGreaterThan(1);
    for (const payload of payloads) expect(Buffer.byteLength(payload)).toBeLessThan(8000);
    const read = payloads.flatMap((payload) => parseHint(payload)!.relayed);
    expect(read).toEqual(messages);
  });
});
