import { Module } from '@nestjs/common';
import { StorageModule } from 'nest-sync-storage';
import { ProbeController } from './probe.controller';
import { serve } from './serve';

/** Memory, or with DATABASE_URL the postgres driver on its own MikroORM and pool. */
@Module({
  imports: [
    StorageModule.forRoot(
      process.env.DATABASE_URL
        ? { driver: 'postgres', clientUrl: process.env.DATABASE_URL, schema: process.env.DATABASE_SCHEMA }
        : { driver: 'memory' },
    ),
  ],
  controllers: [ProbeController],
})
class HostModule {}

void serve(HostModule);
