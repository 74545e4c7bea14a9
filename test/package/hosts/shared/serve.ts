import { NestFactory } from '@nestjs/core';

/** Serves `module` on PORT and says so on stdout; Nest's shutdown hooks close the storage on SIGTERM. */
export async function serve(module: object): Promise<void> {
  const app = await NestFactory.create(module as never, { logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
  console.log(`listening on ${await app.getUrl()}`);
}
