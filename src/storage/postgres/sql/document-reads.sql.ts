import type { QualifiedTables } from '../storage-tables.js';
import { documentColumns } from './document-writes.sql.js';
import { documentClockSql, timestampToMs, type SqlStatement } from './sql-fragments.js';

/**
 * The driver's one-table reads. Plain SQL through knex (bound parameters) rather than MikroORM's
 * QueryBuilder, whose `execute` formats values into the SQL text; each is a single indexed lookup.
 */

export function getDocumentStatement(t: QualifiedTables, documentId: string): SqlStatement {
  return {
    name: 'getDocument',
    sql: `select ${documentColumns(t)} from ${t.documents} as doc where doc.id = ?`,
    params: [documentId],
  };
}

export function documentExistsStatement(t: QualifiedTables, documentId: string): SqlStatement {
  return { name: 'documentExists', sql: `select 1 from ${t.documents} where id = ?`, params: [documentId] };
}

export function documentIdsStatement(t: QualifiedTables, limit: number, cursor: string | null): SqlStatement {
  return cursor === null
    ? { name: 'documentIds', sql: `select id from ${t.documents} order by id limit ?`, params: [limit] }
    : {
        name: 'documentIds',
        sql: `select id from ${t.documents} where id > ? order by id limit ?`,
        params: [cursor, limit],
      };
}

/** The document clock (`{}` for an unknown document): costs the number of authors. */
export function vectorClockStatement(t: QualifiedTables, documentId: string): SqlStatement {
  return {
    name: 'vectorClock',
    sql: `select ${documentClockSql(t.clocks, '?')} as vector_clock`,
    params: [documentId],
  };
}

export function getSnapshotStatement(t: QualifiedTables, documentId: string): SqlStatement {
  return {
    name: 'getSnapshot',
    sql: `select data, vector_clock, ${timestampToMs('created_at')} as created_ms from ${t.snapshots} where document_id = ?`,
    params: [documentId],
  };
}

/** `getChangesSince`'s first read: the document clock and the snapshot's clock (no row: unknown document). */
export function changesHeadStatement(t: QualifiedTables, documentId: string): SqlStatement {
  return {
    name: 'changesHead',
    sql: `select ${documentClockSql(t.clocks, 'doc.id')} as vector_clock, snapshot.vector_clock as snapshot_clock
          from ${t.documents} as doc
          left join ${t.snapshots} as snapshot on snapshot.document_id = doc.id
          where doc.id = ?`,
    params: [documentId],
  };
}
