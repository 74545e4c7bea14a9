import { Controller, Get, Param, Res, type BeforeApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
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
   * One `change` event per change of the document, its data the change as JSON, and a comment every
   * heartbeat. The document need not exist yet. The subscription ends when the client disconnects. A client
   * that falls `EVENTS_MAX_BUFFERED_BYTES` behind gets a last `resync` event and is disconnected.
   */
  @Get('events')
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description:
      'text/event-stream of `change` events: { documentId, kind, deltaIds?, source }; a last `resync` event for a slow reader',
  })
  @ApiErrors(400)
  async events(@Param('documentId') documentId: string, @Res() response: EventStreamResponse): Promise<void> {
    // Checks the id, so that a bad one is a 400 before the stream opens.
    await this.documents.exists(documentId);
    const stream = new EventStream(response, documentId, this.limits);
    // Proxies close connections that stay silent; clients ignore comments.
    const heartbeat = setInterval(() => stream.sendHeartbeat(), this.heartbeatMs);
    const subscription = this.feed
      .changes(documentId)
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
