import * as A from '@automerge/automerge';
import { HistoryUnavailableError } from '../../src/index.js';
import {
  loadAutomergeDoc,
  loadAutomergeDocAt,
  restoreAutomergeDoc,
  saveAutomergeChanges,
  snapshotAutomergeDoc,
} from '../../src/automerge/index.js';
import { DRIVERS, lazyTargets } from '../support/storage-targets.js';

const targets = lazyTargets();
afterAll(() => targets.dispose());

interface Notes {
  title?: string;
  items?: string[];
  extra?: boolean;
}

describe.each(DRIVERS)('Automerge history on the %s driver', (driver) => {
  it('loads a version back, and a restore change stored like any edit brings the document back to it', async () => {
    const provider = await (await targets.get(driver)).createProvider({ historyRetentionMs: 3_600_000 });
    try {
      const { documents } = provider;
      let doc = A.change(A.init<Notes>(), (d) => {
        d.title = 'first';
        d.items = ['a', 'b'];
      });
      let heads = (await saveAutomergeChanges(documents, 'notes', doc)).heads;
      const liked = (await documents.get('notes'))!.version;
      const likedContent = A.toJS(doc);
      doc = A.change(doc, (d) => {
        d.title = 'second';
        d.items!.push('c');
        d.extra = true;
      });
      heads = (await saveAutomergeChanges(documents, 'notes', doc, { since: heads })).heads;
      await snapshotAutomergeDoc(documents, 'notes', doc);

      const at = await loadAutomergeDocAt<Notes>(documents, 'notes', { version: liked });
      expect({ version: at.version, content: A.toJS(at.doc) }).toEqual({ version: liked, content: likedContent });

      doc = restoreAutomergeDoc(doc, at.doc);
      await saveAutomergeChanges(documents, 'notes', doc, { since: heads });
      expect(A.toJS((await loadAutomergeDoc<Notes>(documents, 'notes')).doc)).toEqual(likedContent);
      await expect(loadAutomergeDocAt(documents, 'notes', { version: 999 })).rejects.toThrow(HistoryUnavailableError);
    } finally {
      await provider.close();
    }
  });
});
