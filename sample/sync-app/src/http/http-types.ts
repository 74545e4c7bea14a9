/** The parts of Express's request and response this app uses (keeps @types/express out of the dependencies). */
export interface HttpRequest {
  readonly headers: Record<string, string | string[] | undefined>;
  /** The body's media type when it matches `type`, false when it does not, null when there is no body. */
  is(type: string): string | false | null;
  readonly socket: { end(): void };
  /** Express's response to this request. */
  readonly res?: { once(event: 'finish', listener: () => void): unknown };
}

export interface HttpResponse {
  readonly headersSent: boolean;
  status(code: number): HttpResponse;
  json(body: unknown): void;
  setHeader(name: string, value: string): void;
  end(): void;
}
