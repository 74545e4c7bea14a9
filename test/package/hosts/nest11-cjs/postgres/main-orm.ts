import { Controller, Get, Module, Param } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { isDeepStrictEqual } from 'node:util';
import { DOCUMENT_STORE, type DocumentStore } from 'nest-sync-storage';
import { DeltaReport } from './delta-report';
import { HealthController } from './health.controller';
import { OrmAppModule } from './orm-app.module';
import { ProbeController } from './probe.controller';
import { serve } from './serve';

/** GET /entities/:id: the deltas read through the app's EntityManager, against what the store returns. */
@Controller('entities')
class EntitiesController {
  constructor(
    private readonly report: DeltaReport,
    private readonly moduleRef: ModuleRef,
  ) {}

  @Get(':id')
  async compare(@Param('id') id: string) {
    const viaOrm = await this.report.deltas(id);
    const documents = this.moduleRef.get<DocumentStore>(DOCUMENT_STORE, { strict: false });
    return { count: viaOrm.length, sameAsStore: isDeepStrictEqual(viaOrm, await documents.getDeltasSince(id, null)) };
  }
}

@Module({
  imports: [OrmAppModule, TerminusModule],
  controllers: [ProbeController, HealthController, EntitiesController],
  providers: [DeltaReport],
})
class OrmHostModule {}

void serve(OrmHostModule);
