// The root entry: the contract, the module, the memory driver, clocks and errors. It loads no MikroORM,
// knex, pg or Terminus code; the PostgreSQL pieces an app may need itself are in `nest-sync-storage/postgres`.
export type {
  AwarenessEntry,
  AwarenessStore,
  ChangesAt,
  ChangesOptions,
  ChangesSince,
  DeltaData,
  DeltasPage,
  DocumentIdPage,
  DocumentSnapshot,
  DocumentStore,
  DocumentVersion,
  DocumentVersionPage,
  HistoryPoint,
  JsonValue,
  StorageChange,
  StorageChangeFeed,
  StorageRelay,
  RelayedMessage,
  RelayOptions,
  StorageDriver,
  StorageHealth,
  StorageProvider,
  StoredDelta,
  SaveSnapshotOptions,
  SyncDocument,
  VectorClock,
} from './storage/contract/types.js';
export {
  StorageError,
  StorageValidationError,
  SnapshotAheadError,
  StaleSnapshotError,
  StorageUnavailableError,
  DeltaConflictError,
  StorageLimitError,
  HistoryUnavailableError,
} from './storage/contract/errors.js';
export { mergeClocks, clockCovers, clockCoversDelta } from './storage/contract/clocks.js';
export type {
  MemoryStorageOptions,
  PostgresConnectionOptions,
  PostgresOrmOptions,
  StorageCommonOptions,
  StorageHostOrm,
  StorageModuleOptions,
  StoragePoolOptions,
  StorageTlsOptions,
} from './storage/contract/options.js';
export { StorageModule } from './storage/storage.module.js';
export type { StorageInstrumentOptions, StorageMeter, StorageMetricAttributes } from './storage/storage-metrics.js';
export { openStorageProvider } from './storage/open-storage-provider.js';
export type { StorageLogger } from './storage/storage.logger.js';
export {
  STORAGE_PROVIDER,
  DOCUMENT_STORE,
  AWARENESS_STORE,
  STORAGE_CHANGES,
  STORAGE_MODULE_OPTIONS,
} from './storage/storage.constants.js';
export {
  InjectStorageProvider,
  InjectDocumentStore,
  InjectAwarenessStore,
  InjectStorageChanges,
} from './storage/storage.decorators.js';
export { StorageHealthIndicator } from './storage/health/storage.health.js';
export type { StorageHealthIndicatorResult, StorageHealthStatus } from './storage/health/storage.health.js';
