import { Module } from '@nestjs/common';
import { AppMetrics } from './app-metrics.js';
import { MetricsController } from './metrics.controller.js';

/** The app's metrics: the SDK the storage records on, and `GET /metrics` that exports it. */
@Module({
  providers: [AppMetrics],
  exports: [AppMetrics],
  controllers: [MetricsController],
})
export class MetricsModule {}
