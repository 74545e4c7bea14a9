import { StreamableFile } from '@nestjs/common';
import { Readable } from 'node:stream';

/** Pieces are sent in chunks of about this many characters, not one write each. */
const CHUNK_CHARS = 64 * 1024;

/**
 * A JSON body sent piece by piece as the client reads it: no single string holds the whole body, whose
 * size a process limits (about 512 MiB in V8), and the pieces are made only as they are sent.
 */
export function jsonResponse(pieces: Iterable<string>): StreamableFile {
  return new StreamableFile(Readable.from(inChunks(pieces), { objectMode: false }), {
    type: 'application/json; charset=utf-8',
  });
}

function* inChunks(pieces: Iterable<string>): Generator<string> {
  let chunk = '';
  for (const piece of pieces) {
    chunk += piece;
    if (chunk.length >= CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}
