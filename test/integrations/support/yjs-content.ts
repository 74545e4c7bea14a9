import * as Y from 'yjs';

/** The shared types the tests edit. */
export const TEXT = 't';
export const MAP = 'm';
export const LIST = 'a';

// Y.Map#toJSON lists keys in local insertion order, which differs between replicas: sort them.
const sortKeys = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(object)
      .sort()
      .map((key) => [key, sortKeys(object[key])]),
  );
};

/** What a user sees of a document, comparable between replicas. */
export function content(doc: Y.Doc): string {
  return JSON.stringify(
    sortKeys({
      text: doc.getText(TEXT).toString(),
      map: doc.getMap(MAP).toJSON(),
      list: doc.getArray(LIST).toJSON(),
    }),
  );
}

/** The same structs and deletions (Yjs's own comparison) and the same content. */
export function sameState(a: Y.Doc, b: Y.Doc): boolean {
  return Y.equalSnapshots(Y.snapshot(a), Y.snapshot(b)) && content(a) === content(b);
}
