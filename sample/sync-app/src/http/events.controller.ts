import { Controller, Get, Headers, Param, Query, Res, type BeforeApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiHeader, ApiOkResponse, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import {
  InjectDocumentStore,
  InjectStorageChanges,
  type DocumentStore,
  type StorageChangeFeed,
} from 'nest-sync-storage';
import { Subject, takeUntil } from 'rxjs';
import type { AppConfig } from '../config/app.config.js';
import { ApiErrors } from './api-docs.js';
import { EventStream, type EventStreamLimits, type EventStreamResponse } from './event-stream.js';
import { ParseVersionPipe } from './parse.pipes.js';

const LAST_EVENT_ID = new ParseVersionPipe('Last-Event-ID');

/** A document's change feed as Server-Sent Events. */
@ApiTags('events')
@Controller('documents/:documentId')
export class EventsController implements BeforeApplicationShutdown {
  private readonly heartbeatMs: number;
  private readonly limits: EventStreamLimits;
  /** Ends every open stream: the HTTP server waits for its connections before the storage closes the feed. */
  private readonly closing = new Subject<void>();

  constructor(
    @InjectDocumentStore() private readonly documents: DocumentStore,
    @InjectStorageChanges() private readonly feed: StorageChangeFeed,
    config: ConfigService<AppConfig, true>,
  ) {
    const http = config.get('http', { infer: true });
    this.heartbeatMs = http.eventsHeartbeatMs;
    this.limits = { maxBufferedBytes: http.eventsMaxBufferedBytes, closeGraceMs: 10_000 };
  }

  /**
   * One `change` event per change of the document, its data the change as JSON and its `id` the version it
   * took, and a comment every heartbeat. The stream starts after `afterVersion`, or after the version sent
   * back in `Last-Event-ID` (EventSource does so when it reconnects), or else after the document's version
   * read as the request arrives: every change committed later is sent, none twice (a `resync` event where
   * missed changes can no longer be read). The document need not exist yet. The subscription ends when the
   * client disconnects. A client that falls `EVENTS_MAX_BUFFERED_BYTES` behind gets a last `resync` event
   * and is disconnected.
   */
  @Get('events')
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description:
      'text/event-stream of `change` events: { documentId, kind, deltaIds?, version?, source }, `id` the version; a last `resync` event for a slow reader',
  })
  @ApiQuery({
    name: 'afterVersion',
    required: false,
    description: 'start after this document version (one the client read); default: the version now',
  })
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description: 'the `id` of the last event received (EventSource sends it on reconnect): resumes after it',
  })
  @ApiErrors(400)
  async events(
    @Param('documentId') documentId: string,
    @Query('afterVersion', new ParseVersionPipe('afterVersion')) afterVersion: number | undefined,
    @Headers('last-event-id') lastEventIdHeader: string | undefined,
    @Res() response: EventStreamResponse,
  ): Promise<void> {
    // Nest's @Headers takes no pipe.
    const lastEventId = LAST_EVENT_ID.transform(lastEventIdHeader);
    // Checks the id, so that a bad one is a 400 before the stream opens; a write after this read is sent.
    const current = (await this.documents.get(documentId))?.version ?? 0;
    const stream = new EventStream(response, documentId, this.limits);
    // Proxies close connections that stay silent; clients ignore comments.
    const heartbeat = setInterval(() => stream.sendHeartbeat(), this.heartbeatMs);
    const subscription = this.feed
      .changes(documentId, { afterVersion: lastEventId ?? afterVersion ?? current })
      .pipe(takeUntil(this.closing))
      .subscribe({
        next: (change) => stream.sendChange(change),
        error: () => stream.end(),
        complete: () => stream.end(),
      });
    stream.onClose(() => {
      clearInterval(heartbeat);
      subscription.unsubscribe();
    });
  }

  beforeApplicationShutdown(): void {
    this.closing.next();
  }
}
