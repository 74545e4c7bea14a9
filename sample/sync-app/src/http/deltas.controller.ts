import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import { InjectDocumentStore, type DocumentStore, type StoredDelta } from 'nest-sync-storage';
import type { AppConfig } from '../config/app.config.js';
import { badArgument, requireDocument } from './api-exception.js';
import { ApiErrors, JsonWrite } from './api-docs.js';
import { catchUpBudget, changesJson, pageJson, readDeltasPage, type CatchUpBudget } from './catch-up.js';
import { CompactDto, DeltaBatchDto, DeltaDto, DeltasPageDto } from './dto.js';
import { jsonResponse } from './json-response.js';
import { ParseClockPipe, ParseLimitPipe } from './parse.pipes.js';
import { deltaFromWire } from './wire-delta.js';

const SINCE = { name: 'since', required: false, description: 'the client clock as JSON, e.g. {"alice":3}' };
const CONFLICT: [number, string] = [409, 'The (clientId, counter) of a delta is stored under another id'];

/** Deltas over HTTP: writing them, paged catch-up, the reconnect answer and compaction. */
@ApiTags('deltas')
@Controller('documents/:documentId')
export class DeltasController {
  private readonly budget: CatchUpBudget;

  constructor(
    @InjectDocumentStore() private readonly documents: DocumentStore,
    config: ConfigService<AppConfig, true>,
  ) {
    this.budget = catchUpBudget(config);
  }

  @Post('deltas')
  @JsonWrite('{ stored }: false for a resend, or a delta the snapshot covers', CONFLICT)
  async addDelta(@Param('documentId') documentId: string, @Body() delta: DeltaDto) {
    return { stored: await this.documents.addDelta(documentId, deltaFromWire(delta, 'delta') as StoredDelta) };
  }

  @Post('deltas/batch')
  @JsonWrite('{ added }: how many were new; all or nothing', CONFLICT)
  async addDeltas(@Param('documentId') documentId: string, @Body() body: DeltaBatchDto) {
    if (!Array.isArray(body?.deltas)) throw badArgument('deltas', 'must be an array of deltas');
    const deltas = body.deltas.map((delta, index) => deltaFromWire(delta, `deltas[${index}]`));
    return { added: await this.documents.addDeltas(documentId, deltas as StoredDelta[]) };
  }

  @Get('deltas')
  @ApiQuery(SINCE)
  @ApiQuery({ name: 'limit', required: false, description: 'most deltas on the page, 1..10000, default 1000' })
  @ApiQuery({ name: 'after', required: false, description: 'the `next` of the previous page' })
  @ApiOkResponse({ type: DeltasPageDto, description: 'May hold fewer than `limit` deltas: page on while `next`' })
  @ApiErrors(400, 404)
  async getDeltasPage(
    @Param('documentId') documentId: string,
    @Query('since', new ParseClockPipe('since')) since: Record<string, number> | null,
    @Query('limit', ParseLimitPipe) limit: number | undefined,
    @Query('after') after: string | undefined,
  ) {
    const page = await readDeltasPage(
      this.documents,
      documentId,
      since,
      { limit: limit ?? 1000, after: after ?? null },
      this.budget,
    );
    if (page.deltas.length === 0) await requireDocument(this.documents, documentId);
    return jsonResponse(pageJson(page));
  }

  @Get('changes')
  @ApiQuery(SINCE)
  @ApiOkResponse({ description: '{ snapshot (data in base64) or null, deltas, vectorClock }, read in one view' })
  @ApiErrors(400, 404)
  async getChangesSince(
    @Param('documentId') documentId: string,
    @Query('since', new ParseClockPipe('since')) since: Record<string, number> | null,
  ) {
    const changes = await this.documents.getChangesSince(documentId, since);
    if (!changes.snapshot && changes.deltas.length === 0 && Object.keys(changes.vectorClock).length === 0)
      await requireDocument(this.documents, documentId);
    return jsonResponse(changesJson(changes));
  }

  @Post('compact')
  @JsonWrite('{ deleted }: 0 for a document without a snapshot, or unknown')
  async compact(@Param('documentId') documentId: string, @Body() body: CompactDto) {
    return { deleted: await this.documents.compactDeltas(documentId, body?.upTo) };
  }
}
