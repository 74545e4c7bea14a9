// Registry symbols (Symbol.for): a process that loads both builds of the package (one part `require`s it,
// another `import`s it) still sees one token per name.
/** The `StorageProvider` of the configured driver. */
export const STORAGE_PROVIDER = Symbol.for('nest-sync-storage:STORAGE_PROVIDER');
/** The provider's `DocumentStore`: documents, deltas, catch-up, snapshots, compaction. */
export const DOCUMENT_STORE = Symbol.for('nest-sync-storage:DOCUMENT_STORE');
/** The provider's `AwarenessStore`: expiring presence entries. */
export const AWARENESS_STORE = Symbol.for('nest-sync-storage:AWARENESS_STORE');
/** The provider's change feed (`StorageChangeFeed`): `changes(documentId?)` as an rxjs Observable. */
export const STORAGE_CHANGES = Symbol.for('nest-sync-storage:STORAGE_CHANGES');
/** The options passed to `StorageModule.forRoot` / `forRootAsync`, as given. */
export const STORAGE_MODULE_OPTIONS = Symbol.for('nest-sync-storage:STORAGE_MODULE_OPTIONS');
