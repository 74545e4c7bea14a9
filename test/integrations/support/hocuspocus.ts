import type { Socket } from 'node:net';
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { Server } from '@hocuspocus/server';
import WebSocket from 'ws';
import * as Y from 'yjs';
import type { DocumentStore } from '../../../src/index.js';
import { eventually } from '../../fixtures/eventually.js';
import { TEXT } from './yjs-content.js';
import {
  loadYDoc,
  YjsStorageExtension,
  type YjsStorage,
  type YjsStorageErrorContext,
  type YjsStorageExtensionOptions,
} from '../../../src/yjs/index.js';

/** One Hocuspocus server with the storage extension, as a test runs it. */
export interface TestServer {
  readonly name: string;
  readonly server: Server;
  readonly extension: YjsStorageExtension;
  readonly port: number;
  readonly url: string;
  /** Errors the extension reported: the error's name and the context it came with. */
  readonly errors: (YjsStorageErrorContext & { name: string })[];
  /** The server's copy of a document, when it is loaded there. */
  document(name: string): Y.Doc | undefined;
  /** A crash: queued deltas are given up, connections cut, the server gone. */
  kill(): Promise<void>;
  /** A clean stop: clients disconnected first, queued deltas flushed (bounded). */
  stop(): Promise<void>;
}

export type ExtensionSettings = Omit<YjsStorageExtensionOptions, 'storage'>;

/** Starts a server on `port` (default: any free one) whose extension stores in `storage`. */
export async function startServer(
  name: string,
  storage: YjsStorage,
  { port = 0, ...settings }: ExtensionSettings & { port?: number } = {},
): Promise<TestServer> {
  const errors: TestServer['errors'] = [];
  const extension = new YjsStorageExtension({
    storage,
    writerIdPrefix: `${name}.`,
    retryDelayMs: { min: 5, max: 50 },
    onError: (error, context) => errors.push({ name: (error as Error).name, ...context }),
    ...settings,
  });
  // stopOnSignals would exit the jest worker on SIGTERM; port 0 must be in the config (listen(0) ignores it).
  const server = new Server({ name, port, quiet: true, stopOnSignals: false, extensions: [extension] });
  // Server.destroy() tells clients each document closed but leaves their sockets open, and a provider
  // then waits 30 s for a message before reconnecting: a test cuts the sockets to make it reconnect now.
  const sockets = new Set<Socket>();
  server.httpServer.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await server.listen();
  const { port: bound } = server.address as { port: number };
  const cutSockets = (): void => sockets.forEach((socket) => socket.destroy());
  return {
    name,
    server,
    extension,
    port: bound,
    url: `ws://127.0.0.1:${bound}`,
    errors,
    document: (documentName) => server.hocuspocus.documents.get(documentName),
    async kill() {
      await extension.close({ timeoutMs: 0 });
      cutSockets();
      await server.destroy();
    },
    async stop() {
      cutSockets();
      await server.destroy();
    },
  };
}

/** A real Hocuspocus client over a WebSocket, with its own Y.Doc (or `doc`, e.g. moving to another server). */
export interface TestClient {
  readonly doc: Y.Doc;
  readonly provider: HocuspocusProvider;
  /** Its WebSocket: `disconnect()` takes the client offline, `connect()` back. */
  readonly socket: HocuspocusProviderWebsocket;
  /** Leaves for good (the Y.Doc stays, to connect elsewhere). */
  destroy(): void;
}

export function connectClient(url: string, documentName: string, doc: Y.Doc = new Y.Doc()): TestClient {
  const socket = new HocuspocusProviderWebsocket({
    url,
    // Node 20 has no global WebSocket.
    WebSocketPolyfill: WebSocket,
    // Reconnect within tens of milliseconds, not the browser defaults of seconds.
    delay: 20,
    minDelay: 20,
    maxDelay: 200,
    factor: 1.5,
    jitter: false,
  });
  const provider = new HocuspocusProvider({ websocketProvider: socket, name: documentName, document: doc });
  provider.attach();
  return {
    doc,
    provider,
    socket,
    destroy() {
      // A socket still connecting (its server just died) reports its own closing as an 'error' event after the
      // provider removed its listeners; left unheard, Node throws it.
      const connecting = socket.webSocket as unknown as { on?(event: 'error', listener: () => void): void } | null;
      connecting?.on?.('error', () => undefined);
      provider.destroy();
      socket.destroy();
    },
  };
}

/** Connected, handshake done, and every update it sent applied by its server (applied, not yet stored). */
export function clientSettled({ provider }: TestClient): boolean {
  return (
    provider.isSynced &&
    provider.unsyncedChanges === 0 &&
    provider.configuration.websocketProvider.status === 'connected'
  );
}

/** Connects a client to `documentName` on `server`, keeps it in `clients` (for the spec to close), and waits until it is synced. */
export async function joinSynced(server: TestServer, documentName: string, clients: TestClient[]): Promise<TestClient> {
  const client = connectClient(server.url, documentName);
  clients.push(client);
  await eventually(() => clientSettled(client), 'the client is synced');
  return client;
}

/** The text of `documentName` as a fresh load from storage reads it. */
export async function storedTextOf(documents: DocumentStore, documentName: string): Promise<string> {
  return (await loadYDoc(documents, documentName)).doc.getText(TEXT).toString();
}

export function clientState({ provider }: TestClient): string {
  return `${provider.configuration.websocketProvider.status}/${provider.isSynced ? 'synced' : 'syncing'}/${provider.unsyncedChanges} unsynced`;
}
