/** Table names of the postgres driver; every key leads with the document id. */
export const STORAGE_TABLES = {
  documents: 'sync_documents',
  deltas: 'sync_deltas',
  snapshots: 'sync_snapshots',
  awareness: 'sync_awareness',
} as const;

/** Where the driver records which of its migrations ran (kept apart from a host app's own table). */
export const MIGRATIONS_TABLE = 'sync_storage_migrations';

export const DEFAULT_SCHEMA = 'public';

/** The tables as schema-qualified, quoted SQL identifiers. */
export type QualifiedTables = { readonly [K in keyof typeof STORAGE_TABLES]: string };

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function qualifiedTables(schema: string): QualifiedTables {
  const qualify = (table: string): string => `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
  return {
    documents: qualify(STORAGE_TABLES.documents),
    deltas: qualify(STORAGE_TABLES.deltas),
    snapshots: qualify(STORAGE_TABLES.snapshots),
    awareness: qualify(STORAGE_TABLES.awareness),
  };
}
