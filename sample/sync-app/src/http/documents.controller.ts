import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Param,
  Put,
  Query,
  Res,
  StreamableFile,
} from '@nestjs/common';
import { ApiBody, ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import { InjectDocumentStore, type DocumentStore } from 'nest-sync-storage';
import { ApiException, badArgument, documentNotFound, requireDocument } from './api-exception.js';
import { ApiErrors } from './api-docs.js';
import { BodyType } from './body-type.guard.js';
import type { HttpResponse } from './http-types.js';
import { ParseClockPipe, ParseLimitPipe } from './parse.pipes.js';

const CLOCK_HEADER = 'x-vector-clock';

/** Documents, their clocks and snapshots over HTTP; deltas are in DeltasController. */
@ApiTags('documents')
@Controller('documents')
export class DocumentsController {
  constructor(@InjectDocumentStore() private readonly documents: DocumentStore) {}

  @Get()
  @ApiQuery({ name: 'limit', required: false, description: '1..10000, default 1000' })
  @ApiQuery({ name: 'cursor', required: false, description: 'the last id of the previous page' })
  @ApiOkResponse({ description: '{ ids, nextCursor }: ids in code-point order' })
  @ApiErrors(400)
  async list(@Query('limit', ParseLimitPipe) limit?: number, @Query('cursor') cursor?: string) {
    const ids = await this.documents.getDocumentIds({ limit, cursor });
    return { ids, nextCursor: ids.length > 0 ? ids[ids.length - 1] : null };
  }

  @Put(':documentId')
  @ApiOkResponse({ description: 'The document, created when it was missing' })
  @ApiErrors(400)
  getOrCreate(@Param('documentId') documentId: string) {
    return this.documents.getOrCreate(documentId);
  }

  @Get(':documentId')
  @ApiOkResponse({ description: '{ id, vectorClock, createdAt, updatedAt }' })
  @ApiErrors(400, 404)
  async get(@Param('documentId') documentId: string) {
    const document = await this.documents.get(documentId);
    if (!document) throw documentNotFound();
    return document;
  }

  @Delete(':documentId')
  @HttpCode(204)
  @ApiQuery({ name: 'erase', required: false, description: 'true: also its history and change log, nothing kept' })
  @ApiNoContentResponse({ description: 'Deleted, with its deltas, snapshot and presence' })
  @ApiErrors(400, 404)
  async delete(@Param('documentId') documentId: string, @Query('erase') erase?: string): Promise<void> {
    if (erase !== undefined && erase !== 'true' && erase !== 'false')
      throw badArgument('erase', "must be 'true' or 'false'");
    const removed = erase === 'true' ? this.documents.erase(documentId) : this.documents.delete(documentId);
    if (!(await removed)) throw documentNotFound();
  }

  @Get(':documentId/clock')
  @ApiOkResponse({ description: 'The document clock, e.g. {"alice":3}' })
  @ApiErrors(400, 404)
  async getVectorClock(@Param('documentId') documentId: string) {
    const clock = await this.documents.getVectorClock(documentId);
    // Only an empty clock can be a missing document's.
    if (Object.keys(clock).length === 0) await requireDocument(this.documents, documentId);
    return clock;
  }

  @Put(':documentId/snapshot')
  @HttpCode(204)
  @BodyType('application/octet-stream')
  @ApiHeader({ name: CLOCK_HEADER, required: true, description: 'the snapshot clock as JSON' })
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiNoContentResponse({ description: 'Stored; the document is created when it was missing' })
  @ApiErrors(400, 413, 415, [409, "Stale: the clock does not cover the stored snapshot's clock"])
  async saveSnapshot(
    @Param('documentId') documentId: string,
    @Body() body: unknown,
    @Headers(CLOCK_HEADER) clock: string | undefined,
  ): Promise<void> {
    if (!Buffer.isBuffer(body)) throw badArgument('body', 'must be the snapshot bytes (application/octet-stream)');
    const vectorClock = new ParseClockPipe(CLOCK_HEADER).transform(clock);
    if (vectorClock === null) throw badArgument(CLOCK_HEADER, 'header is required');
    // The clock is the client's claim: one that runs ahead of the document clock is refused (409), never merged.
    await this.documents.saveSnapshot(documentId, body, vectorClock, { refuseClockAhead: true });
  }

  @Get(':documentId/snapshot')
  @ApiOkResponse({ description: `The snapshot's bytes, its clock in ${CLOCK_HEADER}` })
  @ApiErrors(400, [404, 'The document does not exist, or has no snapshot'])
  async getSnapshot(@Param('documentId') documentId: string, @Res({ passthrough: true }) response: HttpResponse) {
    const snapshot = await this.documents.getSnapshot(documentId);
    if (!snapshot) {
      await requireDocument(this.documents, documentId);
      throw new ApiException(404, 'the document has no snapshot');
    }
    response.setHeader(CLOCK_HEADER, JSON.stringify(snapshot.vectorClock));
    return new StreamableFile(snapshot.data, { type: 'application/octet-stream' });
  }
}
