import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiCreatedResponse, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import { InjectDocumentStore, type DocumentStore, type HistoryPoint } from 'nest-sync-storage';
import type { AppConfig } from '../config/app.config.js';
import { badArgument, requireDocument } from './api-exception.js';
import { ApiErrors } from './api-docs.js';
import { BodyType } from './body-type.guard.js';
import { catchUpBudget, versionPageJson, type CatchUpBudget } from './catch-up.js';
import { ForkDto } from './dto.js';
import { jsonResponse } from './json-response.js';
import { ParseLimitPipe } from './parse.pipes.js';
import { deltaToWire } from './wire-delta.js';

const UNAVAILABLE: [number, string] = [404, 'The document does not exist, or that version cannot be read'];

/** Version history over HTTP: the versions, one version's content (paged like catch-up), forks. */
@ApiTags('history')
@Controller('documents/:documentId')
export class HistoryController {
  private readonly budget: CatchUpBudget;

  constructor(
    @InjectDocumentStore() private readonly documents: DocumentStore,
    config: ConfigService<AppConfig, true>,
  ) {
    this.budget = catchUpBudget(config);
  }

  @Get('versions')
  @ApiQuery({ name: 'limit', required: false, description: 'most versions on the page, 1..10000, default 100' })
  @ApiQuery({ name: 'after', required: false, description: 'the `next` of the previous page' })
  @ApiOkResponse({
    description: '{ versions: [{ version, kind, at, clientIds }], next }: the readable ones, oldest first',
  })
  @ApiErrors(400, 404)
  async getVersions(
    @Param('documentId') documentId: string,
    @Query('limit', ParseLimitPipe) limit: number | undefined,
    @Query('after') after: string | undefined,
  ) {
    const page = await this.documents.getVersions(documentId, { limit, after: after ?? null });
    if (page.versions.length === 0) await requireDocument(this.documents, documentId);
    return page;
  }

  @Get('versions/:version')
  @ApiQuery({ name: 'limit', required: false, description: 'most deltas on the page, 1..10000, default 1000' })
  @ApiQuery({ name: 'after', required: false, description: 'the `next` of the previous page' })
  @ApiOkResponse({
    description:
      '{ version, snapshot (data in base64; first page only, else null), deltas, vectorClock, next }: the document right after that version',
  })
  @ApiErrors(400, UNAVAILABLE)
  async getVersion(
    @Param('documentId') documentId: string,
    @Param('version') version: string,
    @Query('limit', ParseLimitPipe) limit: number | undefined,
    @Query('after') after: string | undefined,
  ) {
    const number = /^[1-9]\d{0,14}$/.test(version) ? Number(version) : 0;
    if (number < 1) throw badArgument('version', 'must be a whole number from 1');
    const start = after === undefined ? 0 : /^\d{1,9}$/.test(after) ? Number(after) : -1;
    const changes = await this.documents.getChangesAt(documentId, { version: number });
    if (start < 0 || start > changes.deltas.length || (start > 0 && start === changes.deltas.length))
      throw badArgument('after', 'must be the `next` of an earlier page of this version');
    // The version's content never changes while it is readable, so a page is a slice of it.
    const deltas: string[] = [];
    let chars = 0;
    let end = start;
    while (end < changes.deltas.length && deltas.length < (limit ?? 1000)) {
      const json = JSON.stringify(deltaToWire(changes.deltas[end]!));
      if (deltas.length > 0 && chars + json.length > this.budget.chars) break;
      deltas.push(json);
      chars += json.length;
      end++;
    }
    const next = end < changes.deltas.length ? String(end) : null;
    return jsonResponse(versionPageJson(changes, start === 0, deltas, next));
  }

  @Post('fork')
  @HttpCode(201)
  @BodyType('application/json')
  @ApiCreatedResponse({ description: 'The new document, holding the source as it was at that version or time' })
  @ApiErrors(400, 413, 415, UNAVAILABLE)
  async fork(@Param('documentId') documentId: string, @Body() body: ForkDto) {
    const { targetId, version, time } = body ?? {};
    if ((version === undefined) === (time === undefined)) throw badArgument('body', 'must give version or time');
    let at: HistoryPoint;
    if (version !== undefined) at = { version };
    else {
      const date = typeof time === 'string' ? new Date(time) : new Date(Number.NaN);
      if (Number.isNaN(date.getTime())) throw badArgument('time', 'must be an ISO 8601 date-time');
      at = { time: date };
    }
    return this.documents.forkDocument(documentId, at, targetId);
  }
}
