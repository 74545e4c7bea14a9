import { Controller, Param, Req, Sse, type BeforeApplicationShutdown, type MessageEvent } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import {
  InjectDocumentStore,
  InjectStorageChanges,
  type DocumentStore,
  type StorageChange,
  type StorageChangeFeed,
} from 'nest-sync-storage';
import { Observable, Subject, takeUntil } from 'rxjs';
import type { AppConfig } from '../config/app.config.js';
import { ApiErrors } from './api-docs.js';
import type { HttpRequest } from './http-types.js';

/** A document's change feed as Server-Sent Events. */
@ApiTags('events')
@Controller('documents/:documentId')
export class EventsController implements BeforeApplicationShutdown {
  private readonly heartbeatMs: number;
  /** Ends every open stream: the HTTP server waits for its connections before the storage closes the feed. */
  private readonly closing = new Subject<void>();

  constructor(
    @InjectDocumentStore() private readonly documents: DocumentStore,
    @InjectStorageChanges() private readonly feed: StorageChangeFeed,
    config: ConfigService<AppConfig, true>,
  ) {
    this.heartbeatMs = config.get('http', { infer: true }).eventsHeartbeatMs;
  }

  /**
   * One `change` event per change of the document, its data the change as JSON, and a comment every
   * heartbeat. The document need not exist yet. The subscription ends when the client disconnects.
   */
  @Sse('events')
  @ApiOkResponse({
    description: 'text/event-stream of `change` events: { documentId, kind, deltaIds?, version?, source }',
  })
  @ApiErrors(400)
  async events(
    @Param('documentId') documentId: string,
    @Req() request: HttpRequest,
  ): Promise<Observable<MessageEvent>> {
    // Checks the id, so that a bad one is a 400 before the stream opens.
    await this.documents.exists(documentId);
    // A stream the server ends closes its connection too: left idle, it would hold a shutdown for seconds.
    request.res?.once('finish', () => request.socket.end());
    return this.eventsOf(this.feed.changes(documentId)).pipe(takeUntil(this.closing));
  }

  beforeApplicationShutdown(): void {
    this.closing.next();
  }

  private eventsOf(changes: Observable<StorageChange>): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      // Proxies close connections that stay silent; clients ignore comments.
      const heartbeat = setInterval(() => subscriber.next({ comment: 'heartbeat' }), this.heartbeatMs);
      const subscription = changes.subscribe({
        next: (change) => subscriber.next({ type: 'change', data: change }),
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      return () => {
        clearInterval(heartbeat);
        subscription.unsubscribe();
      };
    });
  }
}
