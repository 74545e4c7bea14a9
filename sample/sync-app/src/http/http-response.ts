/** The part of Express's response this app uses (keeps @types/express out of the dependencies). */
export interface HttpResponse {
  status(code: number): HttpResponse;
  json(body: unknown): void;
  setHeader(name: string, value: string): void;
}
