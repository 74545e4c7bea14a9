/** Raised while the body is read, before it is parsed; body-parser keeps its status. */
export class JsonTooDeepError extends Error {
  readonly status = 400;

  constructor(readonly maxDepth: number) {
    super(`the body is nested deeper than ${maxDepth} levels`);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const [OPEN_ARRAY, OPEN_OBJECT, CLOSE_ARRAY, CLOSE_OBJECT] = [0x5b, 0x7b, 0x5d, 0x7d];

/**
 * A body-parser `verify` hook refusing JSON nested deeper than `maxDepth`, from the raw bytes: parsing a
 * body of a million brackets takes seconds, and the stores would refuse its data at their depth limit anyway.
 */
export function refuseDeepJson(maxDepth: number) {
  return (_request: unknown, _response: unknown, body: Buffer, encoding: string): void => {
    // Multi-byte UTF-8 never holds these ASCII bytes; other charsets are decoded first.
    const text = /^utf-?8$/i.test(encoding) ? undefined : body.toString(encoding as BufferEncoding);
    const length = text === undefined ? body.length : text.length;
    let depth = 0;
    let inString = false;
    for (let i = 0; i < length; i++) {
      const code = text === undefined ? body[i]! : text.charCodeAt(i);
      if (inString) {
        if (code === BACKSLASH) i++;
        else if (code === QUOTE) inString = false;
      } else if (code === QUOTE) inString = true;
      else if (code === OPEN_ARRAY || code === OPEN_OBJECT) {
        if (++depth > maxDepth) throw new JsonTooDeepError(maxDepth);
      } else if (code === CLOSE_ARRAY || code === CLOSE_OBJECT) depth--;
    }
  };
}
