import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** Raw-body and JSON limits sized for the storage limits, and the OpenAPI UI at /docs. */
export function configureApp(
  app: NestExpressApplication,
  limits: { maxDeltaBytes: number; maxSnapshotBytes: number },
): void {
  // A batch may hold up to 10000 deltas; the stores enforce the per-delta limit themselves.
  app.useBodyParser('json', { limit: Math.max(16 * 1024 * 1024, limits.maxDeltaBytes * 2) });
  app.useBodyParser('raw', { type: 'application/octet-stream', limit: limits.maxSnapshotBytes });
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
