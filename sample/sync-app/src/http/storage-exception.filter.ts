import { ArgumentsHost, Catch, HttpStatus, Logger, type ExceptionFilter } from '@nestjs/common';
import type { HttpResponse } from './http-response.js';
import { StaleSnapshotError, StorageError, StorageUnavailableError, StorageValidationError } from 'nest-sync-storage';

/** Maps storage errors onto HTTP: bad input 400, stale snapshot 409, storage down 503. */
@Catch(StorageError)
export class StorageExceptionFilter implements ExceptionFilter<StorageError> {
  private readonly logger = new Logger('StorageHttp');

  catch(error: StorageError, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<HttpResponse>();
    if (error instanceof StorageValidationError) {
      response.status(HttpStatus.BAD_REQUEST).json({
        statusCode: HttpStatus.BAD_REQUEST,
        error: 'Bad Request',
        message: error.message,
        argument: error.argument,
      });
    } else if (error instanceof StaleSnapshotError) {
      response
        .status(HttpStatus.CONFLICT)
        .json({ statusCode: HttpStatus.CONFLICT, error: 'Conflict', message: error.message });
    } else {
      // The driver's message may name hosts; clients get a fixed text, the log keeps the class name.
      this.logger.warn(`storage unavailable: ${error.name}`);
      const status =
        error instanceof StorageUnavailableError ? HttpStatus.SERVICE_UNAVAILABLE : HttpStatus.INTERNAL_SERVER_ERROR;
      response.status(status).json({
        statusCode: status,
        error: status === HttpStatus.SERVICE_UNAVAILABLE ? 'Service Unavailable' : 'Internal Server Error',
        message: 'storage is unavailable, try again later',
      });
    }
  }
}
