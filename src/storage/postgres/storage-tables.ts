/** Table names of the postgres driver; every key leads with the document id. */
export const STORAGE_TABLES = {
  /** One row per document: its seq counter, version and times. */
  documents: 'sync_documents',
  /** The delta logs, one row per delta. */
  deltas: 'sync_deltas',
  /** At most one snapshot per document. */
  snapshots: 'sync_snapshots',
  /** Expiring presence entries. */
  awareness: 'sync_awareness',
  /** Document clocks, one row per (document, author). */
  clocks: 'sync_document_clocks',
  /** The change log the feed reads. */
  changes: 'sync_changes',
  /** Deltas compaction removed while `historyRetentionMs` was on, pruned past it. */
  historyDeltas: 'sync_history_deltas',
  /** Snapshots a newer one replaced while `historyRetentionMs` was on, pruned past it. */
  historySnapshots: 'sync_history_snapshots',
} as const;

/** The functions the migrations create: the locked write paths, one round trip each. */
export const STORAGE_FUNCTIONS = {
  addDeltas: 'sync_add_deltas',
  addDelta: 'sync_add_delta',
  saveSnapshot: 'sync_save_snapshot',
  compactDeltas: 'sync_compact_deltas',
  setAwareness: 'sync_set_awareness',
} as const;

/** The sequence the change log's positions come from. */
export const CHANGE_POSITIONS_SEQUENCE = 'sync_changes_position';

/** Where the driver records which of its migrations ran (kept apart from a host app's own table). */
export const MIGRATIONS_TABLE = 'sync_storage_migrations';

export const DEFAULT_SCHEMA = 'public';

/** The tables and functions as schema-qualified, quoted SQL identifiers. */
export type QualifiedTables = {
  readonly [K in keyof typeof STORAGE_TABLES | keyof typeof STORAGE_FUNCTIONS]: string;
} & { readonly schema: string; readonly changePositions: string };

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function qualifiedTables(schema: string): QualifiedTables {
  const qualify = (name: string): string => `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`;
  const names = { ...STORAGE_TABLES, ...STORAGE_FUNCTIONS };
  const qualified = Object.fromEntries(Object.entries(names).map(([key, name]) => [key, qualify(name)]));
  return {
    ...(qualified as Omit<QualifiedTables, 'schema' | 'changePositions'>),
    schema,
    changePositions: qualify(CHANGE_POSITIONS_SEQUENCE),
  };
}
