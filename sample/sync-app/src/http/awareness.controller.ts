import { Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { InjectAwarenessStore, type AwarenessStore } from 'nest-sync-storage';
import { AwarenessDto } from './dto.js';

/** Presence over HTTP: set, list and remove expiring awareness entries. */
@ApiTags('awareness')
@Controller()
export class AwarenessController {
  constructor(@InjectAwarenessStore() private readonly awareness: AwarenessStore) {}

  @Get('documents/:documentId/awareness')
  getAll(@Param('documentId') documentId: string) {
    return this.awareness.getAll(documentId);
  }

  @Put('documents/:documentId/awareness/:clientId')
  async set(@Param('documentId') documentId: string, @Param('clientId') clientId: string, @Body() body: AwarenessDto) {
    const options = body?.connectionId === undefined ? undefined : { connectionId: body.connectionId };
    return { stored: await this.awareness.set(documentId, clientId, body?.state, body?.clock, options) };
  }

  @Delete('documents/:documentId/awareness/:clientId')
  @HttpCode(204)
  async remove(@Param('documentId') documentId: string, @Param('clientId') clientId: string): Promise<void> {
    if (!(await this.awareness.remove(documentId, clientId)))
      throw new NotFoundException(`no live awareness entry for ${JSON.stringify(clientId)}`);
  }

  @Delete('connections/:connectionId/awareness')
  async removeAllForConnection(@Param('connectionId') connectionId: string) {
    return { removed: await this.awareness.removeAllForConnection(connectionId) };
  }
}
