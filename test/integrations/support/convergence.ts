import type * as Y from 'yjs';
import { loadYDoc, type CrdtDocumentStore } from '../../../src/yjs/index.js';
import { sleep } from '../../fixtures/eventually.js';
import { clientSettled, clientState, type TestClient, type TestServer } from './hocuspocus.js';
import { content, sameState } from './yjs-content.js';

export interface ConvergenceTarget {
  clients: readonly TestClient[];
  /** The servers that are running (their copies of the document are compared too). */
  servers: readonly TestServer[];
  documents: Pick<CrdtDocumentStore, 'getChangesSince'>;
  documentName: string;
}

/**
 * Polls (bounded) until every client is connected with all its updates applied, every extension has
 * stored and pulled everything, and every client, every server copy and the document rebuilt from
 * the store hold the same state. Returns the rebuilt document.
 */
export async function waitForConvergence(target: ConvergenceTarget, boundMs = 20_000): Promise<Y.Doc> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const rebuilt = await convergedStore(target);
    if (rebuilt) return rebuilt;
    if (Date.now() > deadline) throw new Error(`no convergence within ${boundMs} ms: ${await describe(target)}`);
    await sleep(20);
  }
}

async function convergedStore({ clients, servers, documents, documentName }: ConvergenceTarget): Promise<Y.Doc | null> {
  if (!clients.every(clientSettled) || !servers.every((server) => server.extension.idle)) return null;
  const reference = clients[0]!.doc;
  const copies = [...clients.map((client) => client.doc), ...serverCopies(servers, documentName)];
  if (!copies.every((doc) => sameState(doc, reference))) return null;
  const { doc: rebuilt } = await loadYDoc(documents, documentName);
  return sameState(rebuilt, reference) ? rebuilt : null;
}

function serverCopies(servers: readonly TestServer[], documentName: string): Y.Doc[] {
  return servers.map((server) => server.document(documentName)).filter((doc) => doc !== undefined);
}

async function describe({ clients, servers, documents, documentName }: ConvergenceTarget): Promise<string> {
  const reference = content(clients[0]!.doc);
  const { doc: rebuilt } = await loadYDoc(documents, documentName);
  return JSON.stringify({
    clients: clients.map((client) => ({ state: clientState(client), same: content(client.doc) === reference })),
    servers: servers.map((server) => ({
      name: server.name,
      idle: server.extension.idle,
      same: server.document(documentName) ? content(server.document(documentName)!) === reference : 'not loaded',
      errors: server.errors,
    })),
    store: content(rebuilt) === reference,
    reference: reference.slice(0, 200),
  });
}
