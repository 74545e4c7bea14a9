import { ConfigService } from '@nestjs/config';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from './config/app.config.js';

/** Raw-body and JSON limits sized for the storage limits, and the OpenAPI UI at /docs. */
export function configureApp(app: NestExpressApplication): void {
  const { maxDeltaBytes, maxSnapshotBytes } = app.get(ConfigService<AppConfig, true>).get('storage', { infer: true });
  // A batch may hold up to 10000 deltas; the stores enforce the per-delta limit themselves.
  app.useBodyParser('json', { limit: Math.max(16 * 1024 * 1024, maxDeltaBytes * 2) });
  app.useBodyParser('raw', { type: 'application/octet-stream', limit: maxSnapshotBytes });
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('nest-sync-storage sync app')
      .setDescription('Documents, deltas with vector clocks, catch-up, snapshots, compaction and presence.')
      .setVersion('0.1.0')
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
}
