import { Controller, Get, Module, Param } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { ProbeController } from './probe.controller.js';
import { serve } from './serve.js';
import { SyncService } from './sync.service.js';

/** GET /sync/:id: the README's SyncService, as the README's AppModule provides it. */
@Controller('sync')
class SyncController {
  constructor(private readonly moduleRef: ModuleRef) {}

  @Get(':id')
  async sync(@Param('id') id: string) {
    const sync = this.moduleRef.get(SyncService, { strict: false });
    const delta = { id: 'r1', clientId: 'readme', timestamp: 1, data: 'hello', vectorClock: { readme: 1 } };
    const first = await sync.receive(id, delta);
    const again = await sync.receive(id, delta);
    const catchUp = await sync.catchUp(id, {});
    return { first, again: again.isNew, caughtUp: catchUp.deltas.map((each) => each.id) };
  }
}

@Module({ imports: [AppModule], controllers: [ProbeController, SyncController] })
class HostModule {}

await serve(HostModule);
