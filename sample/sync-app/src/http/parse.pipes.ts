import { Injectable, type PipeTransform } from '@nestjs/common';
import { badArgument } from './api-exception.js';

/**
 * Parses a vector clock sent as JSON text (a query parameter or header). Missing means "no clock";
 * the clock's own rules (keys, counters) are checked by the store, which answers 400 as well.
 */
@Injectable()
export class ParseClockPipe implements PipeTransform<unknown, Record<string, number> | null> {
  constructor(private readonly name: string) {}

  transform(value: unknown): Record<string, number> | null {
    if (value === undefined || value === null || value === '') return null;
    if (typeof value === 'string') {
      try {
        return JSON.parse(value) as Record<string, number>;
      } catch {
        // Falls through to the one message below; the parser's own would quote the text.
      }
    }
    throw badArgument(this.name, 'must be a JSON object such as {"alice":3}');
  }
}

/** Most items one page may ask for, as the stores allow. */
const MAX_LIMIT = 10_000;

/** A `limit` query parameter: absent, or a whole number from 1 to 10000 in plain digits. */
@Injectable()
export class ParseLimitPipe implements PipeTransform<unknown, number | undefined> {
  transform(value: unknown): number | undefined {
    if (value === undefined) return undefined;
    const limit = typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : 0;
    if (limit >= 1 && limit <= MAX_LIMIT) return limit;
    throw badArgument('limit', `must be an integer from 1 to ${MAX_LIMIT}`);
  }
}

/** A document version sent as text (a query parameter or the `Last-Event-ID` header): absent, or a whole number. */
@Injectable()
export class ParseVersionPipe implements PipeTransform<unknown, number | undefined> {
  constructor(private readonly name: string) {}

  transform(value: unknown): number | undefined {
    if (value === undefined || value === '') return undefined;
    const version = typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : -1;
    if (Number.isSafeInteger(version) && version >= 0) return version;
    throw badArgument(this.name, 'must be a whole number >= 0 (a document version)');
  }
}
