import { applyDecorators, HttpCode } from '@nestjs/common';
import { ApiOkResponse, ApiResponse } from '@nestjs/swagger';
import { BodyType } from './body-type.guard.js';
import { ErrorDto } from './dto.js';

const USUAL: Record<number, string> = {
  400: 'Bad input: `message` and `argument` name it',
  401: 'API_TOKEN is set and the request does not carry it as Authorization: Bearer',
  404: 'The document does not exist',
  413: 'The body is over the size limit',
  415: 'The body has another Content-Type',
  429: 'A storage limit is reached: `limit` names it',
  503: 'The storage is unavailable; try again later',
};

/**
 * The error answers of a token-protected route that uses the storage (401 and 503 included), each with its
 * usual description or the one given.
 */
export function ApiErrors(...responses: Array<number | [status: number, description: string]>): MethodDecorator {
  const all = new Map<number, string>();
  for (const response of [...responses, 401, 503]) {
    const [status, description] = typeof response === 'number' ? [response, USUAL[response]] : response;
    all.set(status, description ?? '');
  }
  return applyDecorators(
    ...[...all].map(([status, description]) => ApiResponse({ status, description, type: ErrorDto })),
  );
}

/** A route that takes a JSON body and answers 200 with `answer`, or the errors of a JSON body and `errors`. */
export function JsonWrite(
  answer: string,
  ...errors: Array<number | [status: number, description: string]>
): MethodDecorator {
  return applyDecorators(
    HttpCode(200),
    BodyType('application/json'),
    ApiOkResponse({ description: answer }),
    ApiErrors(400, 413, 415, ...errors),
  );
}
