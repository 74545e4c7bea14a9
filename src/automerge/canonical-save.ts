import * as A from '@automerge/automerge';

/**
 * `Automerge.save` of the document rebuilt from its changes in one fixed order, so that two documents
 * holding the same changes give the same bytes. Plain `save()` bytes depend on the order the changes
 * were applied in (the values and heads do not). The order: dependencies first, ties by hash.
 * Costs a rebuild of the whole history: for tests and audits, not for every save.
 */
export function canonicalAutomergeSave<T>(doc: A.Doc<T>): Uint8Array {
  const metas = A.getChangesMetaSince(doc, []);
  const bytesByHash = new Map(A.getAllChanges(doc).map((change) => [A.decodeChange(change).hash, change]));
  const waitingOn = new Map(metas.map((meta) => [meta.hash, meta.deps.length]));
  const dependents = new Map<string, string[]>();
  for (const meta of metas)
    for (const dep of meta.deps) dependents.set(dep, [...(dependents.get(dep) ?? []), meta.hash]);
  const ready = metas.filter((meta) => meta.deps.length === 0).map((meta) => meta.hash);
  const order: Uint8Array[] = [];
  while (ready.length > 0) {
    ready.sort();
    const hash = ready.shift()!;
    order.push(bytesByHash.get(hash)!);
    for (const dependent of dependents.get(hash) ?? []) {
      const left = waitingOn.get(dependent)! - 1;
      waitingOn.set(dependent, left);
      if (left === 0) ready.push(dependent);
    }
  }
  // A fixed actor, so that nothing of the process that calls this enters the bytes.
  const [rebuilt] = A.applyChanges(A.init<T>({ actor: '00' }), order);
  return A.save(rebuilt);
}
