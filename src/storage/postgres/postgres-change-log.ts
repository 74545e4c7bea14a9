import type { ChangeLogSource, LoggedChange } from '../changes/postgres-change-feed.js';
import type { PostgresDatabase } from './postgres-database.js';
import {
  changeLogEndStatement,
  documentStartAtStatement,
  documentStartStatement,
  readChangeLogStatement,
  readDocumentChangesAfterVersionStatement,
  readDocumentChangesStatement,
  type ChangeLogRow,
} from './sql/change-log.sql.js';

/** The change feed's reads of `sync_changes`, on the pool. */
export function changeLogSource(db: PostgresDatabase): ChangeLogSource {
  const t = db.tables;
  return {
    async end() {
      const [row] = await db.rows<{ position: string }>(changeLogEndStatement(t));
      return Number(row!.position);
    },
    async read(after, holes, documents, limit) {
      const rows = await db.rows<ChangeLogRow>(readChangeLogStatement(t, { after, limit }, documents));
      if (holes.length === 0) return rows.map(toChange);
      const filled = await db.rows<ChangeLogRow>(readChangeLogStatement(t, { holes }, documents));
      return [...filled, ...rows].map(toChange).sort((a, b) => a.position - b.position);
    },
    async readDocument(documentId, after, upTo, limit) {
      const statement = readDocumentChangesStatement(t, documentId, after, upTo, limit);
      return (await db.rows<ChangeLogRow>(statement)).map(toChange);
    },
    async readDocumentAfterVersion(documentId, afterVersion, range) {
      const statement = readDocumentChangesAfterVersionStatement(t, documentId, afterVersion, range);
      return (await db.rows<ChangeLogRow>(statement)).map(toChange);
    },
    async start(documentId, upTo) {
      const statement =
        upTo === undefined ? documentStartStatement(t, documentId) : documentStartAtStatement(t, documentId, upTo);
      const [row] = await db.rows<{ position: string; version: string }>(statement);
      // No row at or before `upTo`: nothing of the document was there to deliver.
      return row ? { position: Number(row.position), version: Number(row.version) } : { position: 0, version: 0 };
    },
  };
}

function toChange(row: ChangeLogRow): LoggedChange {
  return {
    position: Number(row.position),
    documentId: row.document_id,
    version: Number(row.version),
    kind: row.kind,
    origin: row.origin,
    deltaCount: row.delta_count,
    ids: row.ids,
  };
}
