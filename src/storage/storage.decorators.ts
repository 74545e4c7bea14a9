import { Inject } from '@nestjs/common';
import { AWARENESS_STORE, DOCUMENT_STORE, STORAGE_CHANGES, STORAGE_PROVIDER } from './storage.constants.js';

/** Injects the `StorageProvider`. */
export const InjectStorageProvider = (): PropertyDecorator & ParameterDecorator => Inject(STORAGE_PROVIDER);
/** Injects the `DocumentStore`. */
export const InjectDocumentStore = (): PropertyDecorator & ParameterDecorator => Inject(DOCUMENT_STORE);
/** Injects the `AwarenessStore`. */
export const InjectAwarenessStore = (): PropertyDecorator & ParameterDecorator => Inject(AWARENESS_STORE);
/** Injects the change feed (`StorageChangeFeed`). */
export const InjectStorageChanges = (): PropertyDecorator & ParameterDecorator => Inject(STORAGE_CHANGES);
