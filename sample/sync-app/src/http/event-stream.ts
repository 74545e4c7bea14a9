import type { StorageChange } from 'nest-sync-storage';

/** The parts of Node's socket and Express's response an event stream writes through. */
export interface EventStreamResponse {
  readonly writableLength: number;
  readonly socket: {
    readonly writableLength: number;
    setNoDelay(noDelay: boolean): unknown;
    setTimeout(ms: number): unknown;
    end(): void;
    destroy(): void;
  } | null;
  writeHead(status: number, headers: Record<string, string>): unknown;
  flushHeaders(): void;
  write(chunk: Buffer): boolean;
  end(): void;
  once(event: 'close' | 'finish', listener: () => void): unknown;
}

/** How a stream treats a client that reads slower than its document changes. */
export interface EventStreamLimits {
  /** Unsent bytes (response and socket buffers) past which the stream is closed with a final `resync`. */
  maxBufferedBytes: number;
  /** After that final event, how long the connection may stay for the client to read it. */
  closeGraceMs: number;
}

const HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'private, no-cache, no-store, no-transform',
  connection: 'keep-alive',
  // Proxies such as nginx would hold the events back.
  'x-accel-buffering': 'no',
};

const HEARTBEAT = Buffer.from(': heartbeat\n\n');

/**
 * The bytes of a change event, built once per change and shared by every stream that sends it: the same
 * Buffer sits in each socket's queue, so a change costs its size once, not once per subscriber.
 */
const encoded = new WeakMap<StorageChange, Buffer>();

/**
 * One Server-Sent Events response. Writes go straight to the socket, never queued in the app: a stream
 * whose unsent bytes would pass `maxBufferedBytes` gets a last `resync` event (catch up, then reconnect) and
 * is closed, so a client that stops reading holds at most that much memory. A change event larger than a
 * quarter of the bound is sent without its `deltaIds` (`deltaIdsOmitted: true`): the client reads the deltas.
 */
export class EventStream {
  private closed = false;

  constructor(
    private readonly response: EventStreamResponse,
    private readonly documentId: string,
    private readonly limits: EventStreamLimits,
  ) {
    // Each event goes out when written (no Nagle delay), and a quiet stream never times out.
    response.socket?.setNoDelay(true);
    response.socket?.setTimeout(0);
    response.writeHead(200, HEADERS);
    response.flushHeaders();
    response.once('close', () => {
      this.closed = true;
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Calls `listener` once the connection is gone (the client left, or the stream was cut off). */
  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.response.once('close', listener);
  }

  sendChange(change: StorageChange): void {
    this.send(this.changeBytes(change));
  }

  sendHeartbeat(): void {
    this.send(HEARTBEAT);
  }

  /** Ends the stream (the app shuts down, or the feed ended). */
  end(): void {
    if (this.closed) return;
    this.closed = true;
    // A stream the server ends closes its connection too: left idle, it would hold a shutdown for seconds.
    this.response.once('finish', () => this.response.socket?.end());
    this.response.end();
  }

  private send(bytes: Buffer): void {
    if (this.closed) return;
    const queued = this.response.writableLength + (this.response.socket?.writableLength ?? 0);
    if (queued + bytes.length > this.limits.maxBufferedBytes) {
      this.cutOff();
      return;
    }
    this.response.write(bytes);
  }

  /** The slow-consumer rule: a last event saying what to do, then the connection goes. */
  private cutOff(): void {
    this.closed = true;
    const resync = { documentId: this.documentId, kind: 'resync', reason: 'slow-consumer' };
    this.response.write(Buffer.from(`event: resync\ndata: ${JSON.stringify(resync)}\n\n`));
    this.response.end();
    // A client that never reads again would keep its buffers: the socket goes after a grace period.
    setTimeout(() => this.response.socket?.destroy(), this.limits.closeGraceMs).unref();
  }

  private changeBytes(change: StorageChange): Buffer {
    let bytes = encoded.get(change);
    if (!bytes) {
      // The version is the event's id: EventSource sends the last one back when it reconnects.
      const head = change.version === undefined ? 'event: change\n' : `event: change\nid: ${change.version}\n`;
      bytes = Buffer.from(`${head}data: ${JSON.stringify(change)}\n\n`);
      if (bytes.length > this.limits.maxBufferedBytes / 4 && change.deltaIds) {
        const { deltaIds: _omitted, ...rest } = change;
        bytes = Buffer.from(`${head}data: ${JSON.stringify({ ...rest, deltaIdsOmitted: true })}\n\n`);
      }
      encoded.set(change, bytes);
    }
    return bytes;
  }
}
