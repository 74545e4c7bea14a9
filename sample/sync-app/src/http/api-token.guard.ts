import { Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AppConfig } from '../config/app.config.js';
import { ApiException } from './api-exception.js';
import type { HttpRequest, HttpResponse } from './http-types.js';

const WITHOUT_TOKEN = Symbol('sync-app:without-token');

/** Marks a controller or route that answers without the API token (`/health`, for probes and balancers). */
export const WithoutToken = (): MethodDecorator & ClassDecorator => SetMetadata(WITHOUT_TOKEN, true);

const digest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/** The token of an `Authorization: Bearer <token>` header (the scheme is case-insensitive), if any. */
function bearerToken(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  return /^Bearer +(\S+) *$/i.exec(header)?.[1];
}

/** With `API_TOKEN` set, every route not marked `WithoutToken()` answers 401 unless the request carries it. */
@Injectable()
export class ApiTokenGuard implements CanActivate {
  private readonly expected: Buffer | undefined;

  constructor(
    config: ConfigService<AppConfig, true>,
    private readonly reflector: Reflector,
  ) {
    const { apiToken } = config.get('http', { infer: true });
    this.expected = apiToken === undefined ? undefined : digest(apiToken);
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.expected) return true;
    if (this.reflector.getAllAndOverride<boolean>(WITHOUT_TOKEN, [context.getHandler(), context.getClass()]))
      return true;
    const given = bearerToken(context.switchToHttp().getRequest<HttpRequest>().headers.authorization);
    // Digests have one length, so the comparison takes the same time whatever was sent, its length included.
    if (given !== undefined && timingSafeEqual(digest(given), this.expected)) return true;
    context.switchToHttp().getResponse<HttpResponse>().setHeader('WWW-Authenticate', 'Bearer');
    throw new ApiException(401, 'this route wants the header Authorization: Bearer <API_TOKEN>');
  }
}
