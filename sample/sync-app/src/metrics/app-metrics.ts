import type { IncomingMessage, ServerResponse } from 'node:http';
import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Meter } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { AppConfig } from '../config/app.config.js';

/**
 * The app's OpenTelemetry SDK when `METRICS_ENABLED=true`: a meter provider whose only reader is the
 * Prometheus exporter, read on each scrape of `GET /metrics` (no server of its own, no push). Off, there is
 * no meter and the storage records nothing.
 */
@Injectable()
export class AppMetrics implements OnApplicationShutdown {
  /** What the storage records on (option `metrics`); undefined when metrics are off. */
  readonly meter: Meter | undefined;
  private readonly exporter: PrometheusExporter | undefined;
  private readonly provider: MeterProvider | undefined;

  constructor(config: ConfigService<AppConfig, true>) {
    if (!config.get('metrics', { infer: true }).enabled) return;
    this.exporter = new PrometheusExporter({ preventServerStart: true });
    this.provider = new MeterProvider({ readers: [this.exporter] });
    this.meter = this.provider.getMeter('nest-sync-storage');
  }

  get enabled(): boolean {
    return this.exporter !== undefined;
  }

  /** Answers a scrape with every instrument in Prometheus's text format. */
  serve(request: IncomingMessage, response: ServerResponse): void {
    this.exporter!.getMetricsRequestHandler(request, response);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.provider?.shutdown();
  }
}
