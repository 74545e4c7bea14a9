import { Observable, type Subscriber } from 'rxjs';
import { StorageValidationError } from '../contract/errors.js';
import type { RelayedMessage, RelayOptions } from '../contract/types.js';
import { checkId } from '../contract/validation.js';

/**
 * The largest relayed message: its JSON string form (quotes aside) in UTF-8 bytes. With its document id and
 * sender it fits one PostgreSQL notification.
 */
export const MAX_RELAY_MESSAGE_BYTES = 4096;

/** A message checked by `checkRelayMessage`, with the key it is coalesced under (null: never coalesced). */
export interface CheckedRelayMessage extends RelayedMessage {
  key: string | null;
}

/** Checks `relay()`'s arguments, naming the one that is wrong (`StorageValidationError`). */
export function checkRelayMessage(documentId: unknown, message: unknown, options: unknown): CheckedRelayMessage {
  checkId('documentId', documentId);
  if (typeof message !== 'string') throw new StorageValidationError('message', 'must be a string');
  // Measured as it travels (a JSON string); a far-too-long message is refused before it is encoded.
  if (
    message.length > MAX_RELAY_MESSAGE_BYTES ||
    Buffer.byteLength(JSON.stringify(message)) > MAX_RELAY_MESSAGE_BYTES + 2
  )
    throw new StorageValidationError('message', `must be at most ${MAX_RELAY_MESSAGE_BYTES} bytes as a JSON string`);
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new StorageValidationError('options', 'must be an object with `from`');
  const { from, key } = options as Partial<RelayOptions>;
  checkId('options.from', from);
  if (key !== undefined) checkId('options.key', key);
  return { documentId: documentId as string, from: from as string, message, key: key ?? null };
}

/** The relay's subscribers of one provider: per document, and for every document. */
export class RelayHub {
  private readonly byDocument = new Map<string, Set<Subscriber<RelayedMessage>>>();
  private readonly everything = new Set<Subscriber<RelayedMessage>>();

  constructor(
    /** Told when the first subscriber arrives and the last one leaves (the postgres driver listens meanwhile). */
    private readonly hooks: { firstSubscribed?(): void; lastUnsubscribed?(): void } = {},
  ) {}

  private count = 0;

  relayed(documentId?: string): Observable<RelayedMessage> {
    return new Observable<RelayedMessage>((subscriber) => {
      if (documentId !== undefined) {
        try {
          checkId('documentId', documentId);
        } catch (error) {
          subscriber.error(error);
          return undefined;
        }
      }
      let group = this.everything;
      if (documentId !== undefined) {
        group = this.byDocument.get(documentId) ?? new Set();
        this.byDocument.set(documentId, group);
      }
      group.add(subscriber);
      if (this.count++ === 0) this.hooks.firstSubscribed?.();
      return () => {
        if (!group.delete(subscriber)) return;
        if (documentId !== undefined && group.size === 0) this.byDocument.delete(documentId);
        if (--this.count === 0) this.hooks.lastUnsubscribed?.();
      };
    });
  }

  publish(message: RelayedMessage): void {
    const delivered: RelayedMessage = { documentId: message.documentId, from: message.from, message: message.message };
    for (const subscriber of this.byDocument.get(message.documentId) ?? []) subscriber.next(delivered);
    for (const subscriber of this.everything) subscriber.next(delivered);
  }

  /** Completes every subscription. */
  close(): void {
    const all = [...this.everything, ...[...this.byDocument.values()].flatMap((group) => [...group])];
    this.everything.clear();
    this.byDocument.clear();
    for (const subscriber of all) subscriber.complete();
  }
}

/** How long relayed messages gather before one notification carries them: well inside presence's 150 ms budget. */
export const RELAY_WINDOW_MS = 30;

/** Payloads stay well below PostgreSQL's 8000-byte notification limit. */
const MAX_PAYLOAD_BYTES = 7_000;

/** Sends notification payloads (one statement on a pool connection, outside any write transaction). */
export type SendPayloads = (payloads: string[]) => Promise<unknown>;

/**
 * Gathers relayed messages for `RELAY_WINDOW_MS` and sends them to the other instances as few notifications as
 * fit: a message sent again under the same `key` (a client's presence) replaces the one waiting, so a client
 * moving its cursor at 10 Hz costs at most one entry per window, and an instance one statement per window.
 * A send that fails is dropped: relayed messages are ephemeral (presence is also stored, at most once per second).
 */
export class RelaySender {
  private waiting = new Map<string, CheckedRelayMessage>();
  private unkeyed = 0;
  private sending = false;

  constructor(
    private readonly origin: string,
    private readonly send: SendPayloads,
    private readonly closed: () => boolean,
  ) {}

  add(message: CheckedRelayMessage): void {
    const key =
      message.key === null ? `#${this.unkeyed++}` : JSON.stringify([message.documentId, message.from, message.key]);
    this.waiting.delete(key); // the latest goes last, in the order messages were relayed
    this.waiting.set(key, message);
    if (this.sending || this.closed()) return;
    this.sending = true;
    setTimeout(() => void this.flush(), RELAY_WINDOW_MS).unref();
  }

  private async flush(): Promise<void> {
    const messages = [...this.waiting.values()];
    this.waiting = new Map();
    this.unkeyed = 0;
    if (!this.closed() && messages.length > 0)
      await this.send(relayPayloads(this.origin, messages)).catch(() => undefined);
    this.sending = false;
    if (this.waiting.size > 0 && !this.closed()) {
      this.sending = true;
      setTimeout(() => void this.flush(), RELAY_WINDOW_MS).unref();
    }
  }
}

/** The wire form of relayed messages: `{ o, r: [[documentId, from, message], ...] }`, cut under the payload limit. */
export function relayPayloads(origin: string, messages: readonly RelayedMessage[]): string[] {
  const payloads: string[] = [];
  const head = JSON.stringify({ o: origin, r: [] }).length;
  let entries: string[] = [];
  let size = head;
  for (const { documentId, from, message } of messages) {
    const entry = JSON.stringify([documentId, from, message]);
    const bytes = Buffer.byteLength(entry) + 1;
    if (entries.length > 0 && size + bytes > MAX_PAYLOAD_BYTES) {
      payloads.push(`{"o":${JSON.stringify(origin)},"r":[${entries.join(',')}]}`);
      entries = [];
      size = head;
    }
    entries.push(entry);
    size += bytes;
  }
  if (entries.length > 0) payloads.push(`{"o":${JSON.stringify(origin)},"r":[${entries.join(',')}]}`);
  return payloads;
}
