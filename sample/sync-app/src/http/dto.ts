import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { JsonValue } from 'nest-sync-storage';

/** OpenAPI shapes of the HTTP API; the stores validate the values themselves. */
export class DeltaDto {
  @ApiProperty({ example: 'alice-7' }) id!: string;
  @ApiProperty({ example: 'alice' }) clientId!: string;
  @ApiProperty({ example: 1764268800000, description: 'Unix ms as sent by the client' }) timestamp!: number;
  @ApiPropertyOptional({
    description: 'Opaque JSON payload; give either this or dataBase64',
    example: { op: 'insert', pos: 0, text: 'hi' },
  })
  data?: JsonValue;
  @ApiPropertyOptional({
    description: 'Bytes payload (a Yjs or Automerge update) as standard base64 with padding, instead of data',
    example: 'AQLmx+gBAAQBBG5vdGUCaGk=',
  })
  dataBase64?: string;
  @ApiProperty({ example: { alice: 7, bob: 3 }, description: 'Clock after this delta; own counter >= 1' })
  vectorClock!: Record<string, number>;
}

export class DeltaBatchDto {
  @ApiProperty({ type: [DeltaDto] }) deltas!: DeltaDto[];
}

export class DeltasPageDto {
  @ApiProperty({ type: [DeltaDto], description: 'In storage order; bytes data as dataBase64' }) deltas!: DeltaDto[];
  @ApiProperty({ type: String, nullable: true, description: 'The `after` of the next page; null on the last page' })
  next!: string | null;
}

export class CompactDto {
  @ApiProperty({ example: { alice: 7, bob: 3 } }) upTo!: Record<string, number>;
}

export class AwarenessDto {
  @ApiProperty({ example: { cursor: { x: 10, y: 4 }, name: 'Alice' } }) state!: JsonValue;
  @ApiProperty({ example: 12 }) clock!: number;
  @ApiPropertyOptional({ example: 'socket-1f3a' }) connectionId?: string;
}

export class ForkDto {
  @ApiProperty({ example: 'notes-copy', description: 'The new document; it must not exist' }) targetId!: string;
  @ApiPropertyOptional({ example: 12, description: 'The version to copy; give this or time' }) version?: number;
  @ApiPropertyOptional({
    example: '2026-12-07T15:00:00Z',
    description: 'Copy the last version written at or before this time; give this or version',
  })
  time?: string;
}

/** Every error answer; the optional fields appear where their status says. */
export class ErrorDto {
  @ApiProperty({ example: 400 }) statusCode!: number;
  @ApiProperty({ example: 'Bad Request' }) error!: string;
  @ApiProperty({ example: 'delta.timestamp must be a safe integer >= 0, got -1' }) message!: string;
  @ApiPropertyOptional({ description: '400: the argument at fault', example: 'delta.timestamp' }) argument?: string;
  @ApiPropertyOptional({ description: '409 conflict: the delta refused' }) deltaId?: string;
  @ApiPropertyOptional({ description: '409 conflict: the stored delta with the same event' }) existingDeltaId?: string;
  @ApiPropertyOptional({ description: '429: the limit reached', example: 'maxAwarenessEntriesPerDocument' })
  limit?: string;
}
