import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';

/**
 * Parses a vector clock sent as JSON text (a query parameter or header). Missing means "no clock";
 * the clock's own rules (keys, counters) are checked by the store, which answers 400 as well.
 */
@Injectable()
export class ParseClockPipe implements PipeTransform<unknown, Record<string, number> | null> {
  constructor(private readonly name = 'since') {}

  transform(value: unknown): Record<string, number> | null {
    if (value === undefined || value === null || value === '') return null;
    if (typeof value !== 'string')
      throw new BadRequestException(`${this.name} must be a JSON object such as {"alice":3}`);
    try {
      return JSON.parse(value) as Record<string, number>;
    } catch {
      throw new BadRequestException(`${this.name} must be a JSON object such as {"alice":3}`);
    }
  }
}
