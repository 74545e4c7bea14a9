import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { JsonValue } from 'nest-sync-storage';

/** OpenAPI shapes of the HTTP API; the stores validate the values themselves. */
export class DeltaDto {
  @ApiProperty({ example: 'alice-7' }) id!: string;
  @ApiProperty({ example: 'alice' }) clientId!: string;
  @ApiProperty({ example: 1764268800000, description: 'Unix ms as sent by the client' }) timestamp!: number;
  @ApiProperty({ description: 'Opaque JSON payload', example: { op: 'insert', pos: 0, text: 'hi' } }) data!: JsonValue;
  @ApiProperty({ example: { alice: 7, bob: 3 }, description: 'Clock after this delta; own counter >= 1' })
  vectorClock!: Record<string, number>;
}

export class DeltaBatchDto {
  @ApiProperty({ type: [DeltaDto] }) deltas!: DeltaDto[];
}

export class CompactDto {
  @ApiProperty({ example: { alice: 7, bob: 3 } }) upTo!: Record<string, number>;
}

export class AwarenessDto {
  @ApiProperty({ example: { cursor: { x: 10, y: 4 }, name: 'Alice' } }) state!: JsonValue;
  @ApiProperty({ example: 12 }) clock!: number;
  @ApiPropertyOptional({ example: 'socket-1f3a' }) connectionId?: string;
}
