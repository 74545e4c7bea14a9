import * as Y from 'yjs';
import type { TestClient } from './hocuspocus.js';
import type { SeededRandom } from '../../fixtures/seeded-random.js';
import { LIST, MAP, TEXT } from './yjs-content.js';

const WORDS = ['alpha ', 'beta ', 'γάμμα ', '🙂 ', 'delta ', 'x', '\n'];

/**
 * One random edit by `client`: text, map and list inserts, deletions that are transactions of their
 * own (delete-only updates), a mixed transaction, or (when `resend`) the client sending its whole
 * state again as if it had never been acknowledged.
 */
export function randomEdit(client: TestClient, random: SeededRandom, { resend }: { resend: boolean }): void {
  const { doc } = client;
  const text = doc.getText(TEXT);
  const map = doc.getMap(MAP);
  const list = doc.getArray<number>(LIST);
  const roll = random.next();
  if (roll < 0.3) text.insert(random.below(text.length + 1), random.pick(WORDS));
  else if (roll < 0.45 && text.length > 0) {
    const at = random.below(text.length);
    text.delete(at, 1 + random.below(Math.min(8, text.length - at)));
  } else if (roll < 0.6) map.set(`k${random.below(12)}`, random.pick([random.below(1000), 'v', { nested: 1 }, null]));
  else if (roll < 0.67 && map.size > 0) map.delete(random.pick([...map.keys()]));
  else if (roll < 0.77) list.push([random.below(100)]);
  else if (roll < 0.83 && list.length > 0) list.delete(random.below(list.length), 1);
  else if (roll < 0.92 || !resend)
    doc.transact(() => {
      text.insert(0, '#');
      map.set('last', random.below(9));
      if (text.length > 3) text.delete(text.length - 1, 1);
    });
  else client.provider.documentUpdateHandler(Y.encodeStateAsUpdate(doc), null);
}

/**
 * `steps` edits by random online clients; now and then one by `offline` (not connected) and a turn of
 * the event loop, so that messages, stores and pulls interleave with the edits.
 */
export async function editRandomly(
  online: readonly TestClient[],
  random: SeededRandom,
  steps: number,
  offline?: TestClient,
): Promise<void> {
  for (let step = 0; step < steps; step++) {
    randomEdit(random.pick(online), random, { resend: true });
    if (offline && random.next() < 0.3) randomEdit(offline, random, { resend: false });
    if (random.next() < 0.3) await new Promise((resolve) => setImmediate(resolve));
  }
}
