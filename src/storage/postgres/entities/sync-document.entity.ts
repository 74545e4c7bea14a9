import { BigIntType, EntitySchema } from '@mikro-orm/core';
import { STORAGE_TABLES } from '../storage-tables.js';

/** A row of `sync_documents`. Its clock lives in `sync_document_clocks`, one row per author. */
export interface SyncDocumentRecord {
  /** The document id. */
  id: string;
  /** The `seq` the next stored delta gets; taken under the row lock, so seq order is commit order. */
  nextSeq: number;
  /** How many content writes the document took (see "Document versions"). */
  version: number;
  /** How many authors (rows of `sync_document_clocks`) the document has: its writes check `maxDocumentAuthors` by it. */
  authorCount: number;
  /** When the document was first stored. */
  createdAt: Date;
  /** When a delta or snapshot last changed it. */
  updatedAt: Date;
}

export const SyncDocumentEntity = new EntitySchema<SyncDocumentRecord>({
  name: 'SyncDocumentRecord',
  tableName: STORAGE_TABLES.documents,
  properties: {
    id: { type: 'string', columnType: 'text', primary: true },
    nextSeq: { type: new BigIntType('number'), columnType: 'bigint', fieldName: 'next_seq', defaultRaw: '0' },
    version: { type: new BigIntType('number'), columnType: 'bigint', defaultRaw: '0' },
    authorCount: { type: 'integer', columnType: 'int', fieldName: 'author_count', defaultRaw: '0' },
    createdAt: { type: 'datetime', columnType: 'timestamptz(3)', fieldName: 'created_at' },
    updatedAt: { type: 'datetime', columnType: 'timestamptz(3)', fieldName: 'updated_at' },
  },
});

/** The key of a row that belongs to a document: part of its primary key, deleted and renamed with the document. */
export const DOCUMENT_KEY = {
  // A function, not the entity's name: MikroORM 7 takes only this form, MikroORM 6 takes both.
  entity: () => SyncDocumentEntity,
  primary: true,
  fieldName: 'document_id',
  columnType: 'text',
  deleteRule: 'cascade',
  updateRule: 'cascade',
} as const;
