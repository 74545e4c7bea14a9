import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  Headers,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Put,
  Query,
  Res,
  StreamableFile,
  BadRequestException,
} from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiHeader, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { HttpResponse } from './http-response.js';
import { InjectDocumentStore, type DocumentStore, type StoredDelta } from 'nest-sync-storage';
import { CompactDto, DeltaBatchDto, DeltaDto } from './dto.js';
import { ParseClockPipe } from './parse-clock.pipe.js';

const CLOCK_HEADER = 'x-vector-clock';

/** Documents, deltas, catch-up, snapshots and compaction over HTTP. */
@ApiTags('documents')
@Controller('documents')
export class DocumentsController {
  constructor(@InjectDocumentStore() private readonly documents: DocumentStore) {}

  @Get()
  @ApiQuery({ name: 'limit', required: false, description: '1..10000, default 1000' })
  @ApiQuery({ name: 'cursor', required: false, description: 'the last id of the previous page' })
  async list(@Query('limit') limit?: string, @Query('cursor') cursor?: string) {
    const ids = await this.documents.getDocumentIds({
      limit: limit === undefined ? undefined : parseInteger('limit', limit),
      cursor,
    });
    return { ids, nextCursor: ids.length > 0 ? ids[ids.length - 1] : null };
  }

  @Put(':documentId')
  getOrCreate(@Param('documentId') documentId: string) {
    return this.documents.getOrCreate(documentId);
  }

  @Get(':documentId')
  async get(@Param('documentId') documentId: string) {
    const document = await this.documents.get(documentId);
    if (!document) throw new NotFoundException(`document ${JSON.stringify(documentId)} does not exist`);
    return document;
  }

  @Delete(':documentId')
  @HttpCode(204)
  async delete(@Param('documentId') documentId: string): Promise<void> {
    if (!(await this.documents.delete(documentId)))
      throw new NotFoundException(`document ${JSON.stringify(documentId)} does not exist`);
  }

  @Post(':documentId/deltas')
  @HttpCode(200)
  async addDelta(@Param('documentId') documentId: string, @Body() delta: DeltaDto) {
    return { stored: await this.documents.addDelta(documentId, delta as StoredDelta) };
  }

  @Post(':documentId/deltas/batch')
  @HttpCode(200)
  async addDeltas(@Param('documentId') documentId: string, @Body() body: DeltaBatchDto) {
    if (!Array.isArray(body?.deltas)) throw new BadRequestException('deltas must be an array of deltas');
    return { added: await this.documents.addDeltas(documentId, body.deltas as StoredDelta[]) };
  }

  @Get(':documentId/deltas')
  @ApiQuery({ name: 'since', required: false, description: 'the client clock as JSON, e.g. {"alice":3}' })
  getDeltasSince(
    @Param('documentId') documentId: string,
    @Query('since', new ParseClockPipe('since')) since: Record<string, number> | null,
  ) {
    return this.documents.getDeltasSince(documentId, since);
  }

  @Get(':documentId/changes')
  @ApiQuery({ name: 'since', required: false, description: 'the client clock as JSON, e.g. {"alice":3}' })
  async getChangesSince(
    @Param('documentId') documentId: string,
    @Query('since', new ParseClockPipe('since')) since: Record<string, number> | null,
  ) {
    const changes = await this.documents.getChangesSince(documentId, since);
    const snapshot = changes.snapshot && {
      data: Buffer.from(changes.snapshot.data).toString('base64'),
      vectorClock: changes.snapshot.vectorClock,
      createdAt: changes.snapshot.createdAt,
    };
    return { ...changes, snapshot };
  }

  @Get(':documentId/clock')
  getVectorClock(@Param('documentId') documentId: string) {
    return this.documents.getVectorClock(documentId);
  }

  @Put(':documentId/snapshot')
  @HttpCode(204)
  @ApiConsumes('application/octet-stream')
  @ApiHeader({ name: CLOCK_HEADER, required: true, description: 'the snapshot clock as JSON' })
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  async saveSnapshot(
    @Param('documentId') documentId: string,
    @Body() body: unknown,
    @Headers(CLOCK_HEADER) clock: string | undefined,
  ): Promise<void> {
    if (!Buffer.isBuffer(body))
      throw new BadRequestException('the snapshot must be sent as Content-Type: application/octet-stream');
    const vectorClock = new ParseClockPipe(CLOCK_HEADER).transform(clock);
    if (vectorClock === null) throw new BadRequestException(`${CLOCK_HEADER} header is required`);
    await this.documents.saveSnapshot(documentId, body, vectorClock);
  }

  @Get(':documentId/snapshot')
  @Header('Content-Type', 'application/octet-stream')
  async getSnapshot(@Param('documentId') documentId: string, @Res({ passthrough: true }) response: HttpResponse) {
    const snapshot = await this.documents.getSnapshot(documentId);
    if (!snapshot) throw new NotFoundException(`document ${JSON.stringify(documentId)} has no snapshot`);
    response.setHeader(CLOCK_HEADER, JSON.stringify(snapshot.vectorClock));
    return new StreamableFile(snapshot.data);
  }

  @Post(':documentId/compact')
  @HttpCode(200)
  async compact(@Param('documentId') documentId: string, @Body() body: CompactDto) {
    return { deleted: await this.documents.compactDeltas(documentId, body?.upTo) };
  }
}

function parseInteger(name: string, value: string): number {
  if (!/^-?\d+$/.test(value)) throw new BadRequestException(`${name} must be an integer`);
  return Number(value);
}
