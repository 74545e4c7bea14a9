import { HttpException } from '@nestjs/common';
import type { DocumentStore } from 'nest-sync-storage';
import { STATUS_CODES } from 'node:http';

/** The JSON body of every error this app answers: the status, its name, a message, and any details. */
export function errorBody(status: number, message: string, details: Record<string, unknown> = {}) {
  return { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message, ...details };
}

/**
 * An error answered in the app's own words. Only these messages reach clients as they are: the
 * framework's may quote the request (a path, a piece of the body), so the filter replaces them.
 */
export class ApiException extends HttpException {
  constructor(status: number, message: string, details: Record<string, unknown> = {}) {
    super(errorBody(status, message, details), status);
  }
}

/** 400 naming the argument, like the stores' own validation errors. */
export const badArgument = (argument: string, problem: string): ApiException =>
  new ApiException(400, `${argument} ${problem}`, { argument });

export const documentNotFound = (): ApiException => new ApiException(404, 'the document does not exist');

/**
 * 404 unless the document exists. Reads call it only when their answer is empty, after the store has
 * checked their arguments: bad input is a 400 whether or not the document exists.
 */
export async function requireDocument(documents: DocumentStore, documentId: string): Promise<void> {
  if (!(await documents.exists(documentId))) throw documentNotFound();
}
