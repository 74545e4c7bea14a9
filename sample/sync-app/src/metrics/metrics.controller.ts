import type { IncomingMessage, ServerResponse } from 'node:http';
import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ApiException } from '../http/api-exception.js';
import { AppMetrics } from './app-metrics.js';

/**
 * `GET /metrics`: the storage's metrics in Prometheus's text format, when `METRICS_ENABLED=true` (404
 * otherwise). Behind the API token like every data route: it names recently written documents.
 */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: AppMetrics) {}

  @Get()
  scrape(@Req() request: IncomingMessage, @Res() response: ServerResponse): void {
    if (!this.metrics.enabled) throw new ApiException(404, 'metrics are off: start the app with METRICS_ENABLED=true');
    this.metrics.serve(request, response);
  }
}
