import { Type } from '@mikro-orm/core';
import type { JsonValue } from '../../contract/types.js';

/**
 * A JSON value kept as TEXT: jsonb cannot hold U+0000 or lone surrogates, and the stores promise what was
 * written reads back as `JSON.parse(JSON.stringify(value))`. Through this type the host's EntityManager
 * sees the value, not its text.
 */
export class JsonTextType extends Type<JsonValue | null, string | null> {
  override convertToDatabaseValue(value: JsonValue | null): string | null {
    return value === null ? null : JSON.stringify(value);
  }

  override convertToJSValue(value: string | null): JsonValue | null {
    return value === null ? null : (JSON.parse(value) as JsonValue);
  }

  override getColumnType(): string {
    return 'text';
  }
}
