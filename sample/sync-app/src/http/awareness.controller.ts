import { Body, Controller, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { InjectAwarenessStore, type AwarenessStore } from 'nest-sync-storage';
import { ApiException } from './api-exception.js';
import { ApiErrors, JsonWrite } from './api-docs.js';
import { AwarenessDto } from './dto.js';

/**
 * Presence over HTTP: set, list and remove expiring awareness entries. Presence lives beside documents and
 * needs none, so these routes never answer 404 for a document that does not exist.
 */
@ApiTags('awareness')
@Controller()
export class AwarenessController {
  constructor(@InjectAwarenessStore() private readonly awareness: AwarenessStore) {}

  @Get('documents/:documentId/awareness')
  @ApiOkResponse({ description: 'The live entries, ordered by client id; [] for a document without any' })
  @ApiErrors(400)
  getAll(@Param('documentId') documentId: string) {
    return this.awareness.getAll(documentId);
  }

  @Put('documents/:documentId/awareness/:clientId')
  @JsonWrite('{ stored }: false when the live entry has a clock at least as high', [
    429,
    'The document has MAX_AWARENESS_ENTRIES_PER_DOCUMENT live entries',
  ])
  async set(@Param('documentId') documentId: string, @Param('clientId') clientId: string, @Body() body: AwarenessDto) {
    const options = body?.connectionId === undefined ? undefined : { connectionId: body.connectionId };
    return { stored: await this.awareness.set(documentId, clientId, body?.state, body?.clock, options) };
  }

  @Delete('documents/:documentId/awareness/:clientId')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiErrors(400, [404, 'The client has no live entry'])
  async remove(@Param('documentId') documentId: string, @Param('clientId') clientId: string): Promise<void> {
    if (!(await this.awareness.remove(documentId, clientId)))
      throw new ApiException(404, 'the client has no live awareness entry');
  }

  @Delete('connections/:connectionId/awareness')
  @ApiOkResponse({ description: '{ removed }: how many live entries the connection had' })
  @ApiErrors(400)
  async removeAllForConnection(@Param('connectionId') connectionId: string) {
    return { removed: await this.awareness.removeAllForConnection(connectionId) };
  }
}
