import {
  ArgumentsHost,
  Catch,
  Controller,
  Get,
  ServiceUnavailableException,
  UseFilters,
  type ExceptionFilter,
} from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { StorageHealthIndicator } from 'nest-sync-storage';
import { WithoutToken } from './api-token.guard.js';
import type { HttpResponse } from './http-types.js';

/** Terminus reports "down" as a 503 whose body is the report: it holds the indicator's fixed messages only. */
@Catch(ServiceUnavailableException)
class HealthReportFilter implements ExceptionFilter<ServiceUnavailableException> {
  catch(error: ServiceUnavailableException, host: ArgumentsHost): void {
    host.switchToHttp().getResponse<HttpResponse>().status(503).json(error.getResponse());
  }
}

/** For probes and load balancers: it answers without the API token and tells nothing but up or down. */
@WithoutToken()
@UseFilters(HealthReportFilter)
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly storage: StorageHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.storage.isHealthy('storage')]);
  }
}
