import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import {
  DeltaConflictError,
  HistoryUnavailableError,
  SnapshotAheadError,
  StaleSnapshotError,
  StorageError,
  StorageLimitError,
  StorageUnavailableError,
  StorageValidationError,
} from 'nest-sync-storage';
import { STATUS_CODES } from 'node:http';
import { ApiException, errorBody } from './api-exception.js';
import type { HttpResponse } from './http-types.js';
import { JsonTooDeepError } from './json-depth.js';

interface ErrorAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * Answers every error with a JSON body in the app's words: storage errors by kind, the framework's
 * by status alone (its messages may quote the request), anything else 500 with nothing of its text.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('SyncHttp');

  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<HttpResponse>();
    const { status, body } = this.answer(error);
    // A stream that already sent its headers cannot change its status; ending it is all that is left.
    if (response.headersSent) return response.end();
    // A route may have set another type (the snapshot's bytes) before it failed.
    response.setHeader('Content-Type', 'application/json; charset=utf-8');
    response.status(status).json(body);
  }

  private answer(error: unknown): ErrorAnswer {
    if (error instanceof ApiException) return answer(error.getStatus(), error.getResponse() as Record<string, unknown>);
    const known =
      error instanceof StorageError
        ? storageAnswer(error)
        : error instanceof HttpException && error.getStatus() < 500
          ? frameworkAnswer(error)
          : undefined;
    // The driver's message may name hosts: the log keeps the class name, the client a fixed text.
    if (known?.status === 503) this.logger.warn(`storage unavailable: ${(error as Error).name}`);
    if (known) return known;
    this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    return answer(500, errorBody(500, 'the server failed to answer this request'));
  }
}

const answer = (status: number, body: Record<string, unknown>): ErrorAnswer => ({ status, body });

function storageAnswer(error: StorageError): ErrorAnswer | undefined {
  if (error instanceof StorageValidationError) {
    const argument = withoutClientNames(error.argument);
    const problem = error.message.startsWith(`${error.argument} `)
      ? error.message.slice(error.argument.length + 1)
      : 'is not valid';
    return answer(400, errorBody(400, `${argument} ${problem}`, { argument }));
  }
  if (error instanceof DeltaConflictError)
    return answer(
      409,
      errorBody(409, 'the delta repeats the (clientId, counter) of another delta of the document', {
        deltaId: error.deltaId,
        existingDeltaId: error.existingDeltaId,
      }),
    );
  if (error instanceof StorageLimitError)
    return answer(429, errorBody(429, `the document is at the limit ${error.limit}`, { limit: error.limit }));
  if (error instanceof StaleSnapshotError)
    return answer(409, errorBody(409, "the snapshot's clock does not cover the stored snapshot's clock"));
  if (error instanceof SnapshotAheadError)
    return answer(
      409,
      errorBody(409, "the snapshot's clock runs ahead of the document clock: store the deltas it holds first"),
    );
  if (error instanceof HistoryUnavailableError)
    return answer(
      404,
      errorBody(404, 'that version cannot be read: never written, or past history retention', {
        version: error.version,
      }),
    );
  if (error instanceof StorageUnavailableError)
    return answer(503, errorBody(503, 'storage is unavailable, try again later'));
  return undefined;
}

/**
 * An argument as the stores name it, cut before the names a client chose: the keys of delta data or
 * awareness state (`delta.data.secret[0]`) and clock keys (`since key "..."`, `vectorClock["..."]`).
 */
function withoutClientNames(argument: string): string {
  return argument.replace(/(\s+key\s+"|\[").*$/s, '').replace(/^((?:deltas\[\d+\]|delta)\.data|state)[.[].*$/s, '$1');
}

/** The framework's own errors (body parsing, unknown routes), by status and cause, never by their message. */
function frameworkAnswer(error: HttpException): ErrorAnswer {
  const status = error.getStatus();
  const cause = error.cause as { limit?: unknown } | undefined;
  if (cause instanceof JsonTooDeepError) return answer(400, errorBody(400, cause.message, { argument: 'body' }));
  if (cause instanceof SyntaxError) return answer(400, errorBody(400, 'the body is not valid JSON'));
  if (cause instanceof URIError) return answer(400, errorBody(400, 'the path holds invalid percent-encoding'));
  if (status === 413 && typeof cause?.limit === 'number')
    return answer(413, errorBody(413, `the body is larger than the limit of ${cause.limit} bytes`));
  const message = status === 404 ? 'there is no such route' : (STATUS_CODES[status] ?? 'the request failed');
  return answer(status, errorBody(status, message));
}
