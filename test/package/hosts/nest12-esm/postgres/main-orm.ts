import { Module } from '@nestjs/common';
import { AppOrmModule } from './app-orm.module.js';
import { ProbeController } from './probe.controller.js';
import { serve } from './serve.js';

@Module({ imports: [AppOrmModule], controllers: [ProbeController] })
class OrmHostModule {}

await serve(OrmHostModule);
