import {
  applyDecorators,
  Injectable,
  SetMetadata,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiConsumes } from '@nestjs/swagger';
import { ApiException } from './api-exception.js';
import type { HttpRequest } from './http-types.js';

const BODY_TYPE = Symbol('sync-app:body-type');

/** Answers 415 when a request carries a body of a type other than `type`; a request without a body passes. */
@Injectable()
class BodyTypeGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const type = this.reflector.get<string>(BODY_TYPE, context.getHandler());
    const request = context.switchToHttp().getRequest<HttpRequest>();
    // `Content-Length: 0` is how some clients send no body at all.
    const hasBody =
      request.headers['transfer-encoding'] !== undefined || (request.headers['content-length'] ?? '0') !== '0';
    if (!hasBody || request.is(type)) return true;
    throw new ApiException(415, `the body must be sent as Content-Type: ${type}`);
  }
}

/** The media type a route's body must have; also what OpenAPI says it consumes. */
export const BodyType = (type: string): MethodDecorator =>
  applyDecorators(SetMetadata(BODY_TYPE, type), UseGuards(BodyTypeGuard), ApiConsumes(type));
