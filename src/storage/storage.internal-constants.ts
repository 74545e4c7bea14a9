/** The module options after validation, with defaults filled in (internal). */
export const RESOLVED_STORAGE_OPTIONS = Symbol('nest-sync-storage:RESOLVED_STORAGE_OPTIONS');
