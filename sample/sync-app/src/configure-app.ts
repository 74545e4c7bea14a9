import { ConfigService } from '@nestjs/config';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from './config/app.config.js';
import { answerClientErrorsInJson } from './http/client-error.handler.js';
import { refuseDeepJson } from './http/json-depth.js';

/** The deepest a JSON body nests around delta data: `{ "deltas": [ { "data": ... } ] }`. */
const ENVELOPE_DEPTH = 3;

/**
 * Body limits sized for the storage limits, JSON errors for what Node refuses before Express, and the
 * OpenAPI UI at /docs (left open: it describes the API and holds no data).
 */
export function configureApp(app: NestExpressApplication): void {
  const { maxDeltaBytes, maxSnapshotBytes, maxJsonDepth } = app
    .get(ConfigService<AppConfig, true>)
    .get('storage', { infer: true });
  // A batch holds many deltas; the stores enforce the per-delta and per-batch limits themselves.
  app.useBodyParser('json', {
    limit: Math.max(16 * 1024 * 1024, maxDeltaBytes * 2),
    verify: refuseDeepJson(maxJsonDepth + ENVELOPE_DEPTH),
  });
  app.useBodyParser('raw', { type: 'application/octet-stream', limit: maxSnapshotBytes });
  answerClientErrorsInJson(app.getHttpServer());
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('nest-sync-storage sync app')
      .setDescription(
        'Documents, deltas with vector clocks, paged catch-up, snapshots, compaction, presence and a change feed. ' +
          'With API_TOKEN set, every route but /health wants Authorization: Bearer <API_TOKEN>.',
      )
      .setVersion('0.1.0')
      .addSecurity('bearer', {
        type: 'http',
        scheme: 'bearer',
        // addBearerAuth would add bearerFormat 'JWT': the token is an opaque string, not a JWT.
        description: 'the API_TOKEN the app was started with: an opaque string, not a JWT',
      })
      .addSecurityRequirements('bearer')
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
}
