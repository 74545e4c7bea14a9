import { eventually } from '../fixtures/eventually.js';

/** One Server-Sent Event as a client reads it. */
export interface SseEvent {
  type: string;
  data: string;
  id?: string;
}

/** An open `text/event-stream` response, read in the background until closed or ended by the server. */
export interface EventStream {
  readonly status: number;
  readonly type: string | null;
  readonly events: SseEvent[];
  readonly comments: string[];
  /** True once the server ended the stream. */
  readonly ended: boolean;
  /** Waits (at most `boundMs`) until an event of the stream satisfies `match`; returns it. */
  next(match: (event: SseEvent) => boolean, what: string, boundMs?: number): Promise<SseEvent>;
  /** Disconnects, as a browser tab that closes does, and waits for the reader to stop. */
  close(): Promise<void>;
}

/** Opens `url` with fetch (Node 20 has no EventSource) and parses the stream as the SSE format says. */
export async function openEventStream(url: string, headers: Record<string, string> = {}): Promise<EventStream> {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let ended = false;
  const reading = (async () => {
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      for await (const chunk of response.body!) {
        buffered += decoder.decode(chunk as Uint8Array, { stream: true });
        let end: number;
        while ((end = buffered.indexOf('\n\n')) !== -1) {
          parseBlock(buffered.slice(0, end), events, comments);
          buffered = buffered.slice(end + 2);
        }
      }
      ended = true;
    } catch {
      // Aborted by close(): the reader stops here.
    }
  })();
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    events,
    comments,
    get ended() {
      return ended;
    },
    async next(match, what, boundMs = 10_000) {
      await eventually(() => events.some(match), what, boundMs);
      return events.find(match)!;
    },
    async close() {
      abort.abort();
      await reading;
    },
  };
}

function parseBlock(block: string, events: SseEvent[], comments: string[]): void {
  const event: SseEvent = { type: 'message', data: '' };
  let hasData = false;
  for (const line of block.split('\n')) {
    if (line === '') continue;
    if (line.startsWith(':')) comments.push(line.slice(1).trim());
    const [field, ...rest] = line.split(':');
    const value = rest.join(':').replace(/^ /, '');
    if (field === 'event') event.type = value;
    else if (field === 'id') event.id = value;
    else if (field === 'data') {
      event.data = hasData ? `${event.data}\n${value}` : value;
      hasData = true;
    }
  }
  if (hasData) events.push(event);
}

/** Whether an event is a change of `kind` (its data is the `StorageChange`). */
export const isChange =
  (kind: string) =>
  (event: SseEvent): boolean =>
    event.type === 'change' && (JSON.parse(event.data) as { kind: string }).kind === kind;
