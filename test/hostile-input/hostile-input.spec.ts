import type { StorageProvider } from '../../src/index.js';
import { HOSTILE_CASES, HOSTILE_LIMITS, ROOMS, seedHostileTarget, validDelta } from './hostile-input.cases.js';
import { validationProblem } from './expect-rejection.js';
import { readObservableState } from './observable-state.js';
import { DRIVERS, lazyTargets } from '../support/storage-targets.js';
import { makeDelta } from '../conformance/conformance-helpers.js';
import { CONNECTION_ID_POOL, SQL_TEXT_IDS } from '../fixtures/tricky-ids.js';

const AN_HOUR = 3_600_000;
const targets = lazyTargets();
afterAll(() => targets.dispose());

describe.each(DRIVERS)('hostile input on the %s driver', (driver) => {
  let provider: StorageProvider;
  /** The state before the running case: each case compares against the one before it, so a stray write blames one case. */
  let current: unknown;

  beforeAll(async () => {
    provider = await (await targets.get(driver)).createProvider({ ...HOSTILE_LIMITS, awarenessTimeoutMs: AN_HOUR });
    await seedHostileTarget(provider);
    current = await readObservableState(provider, ROOMS);
  }, 120_000);

  it(`has a table of at least 40 bad inputs covering every method that takes an argument`, () => {
    expect(HOSTILE_CASES.length).toBeGreaterThanOrEqual(40);
    const methods = new Set(HOSTILE_CASES.map((testCase) => testCase.method));
    expect([...methods].sort()).toEqual(
      [
        'awareness.get',
        'awareness.getAll',
        'awareness.remove',
        'awareness.removeAllForConnection',
        'awareness.set',
        'documents.addDelta',
        'documents.addDeltas',
        'documents.compactDeltas',
        'documents.delete',
        'documents.exists',
        'documents.get',
        'documents.getChangesSince',
        'documents.getDeltasSince',
        'documents.getDocumentIds',
        'documents.getOrCreate',
        'documents.getSnapshot',
        'documents.getVectorClock',
        'documents.iterateDeltasSince',
        'documents.iterateDocumentIds',
        'documents.saveSnapshot',
      ].sort(),
    );
  });

  it.each(HOSTILE_CASES)('$method given $input rejects naming $argument and writes nothing', async (testCase) => {
    const before = current;
    const problem = await validationProblem(() => testCase.call(provider), testCase.argument);
    current = await readObservableState(provider, ROOMS);
    expect(problem).toBeUndefined();
    expect(current).toEqual(before);
  });
});

describe.each(DRIVERS)('ids made of SQL text on the %s driver', (driver) => {
  let provider: StorageProvider;
  const deltaFor = (id: string, index: number) =>
    validDelta({ id, clientId: id, vectorClock: { [id]: index + 1 }, data: { id } });

  // Every id field of every table gets SQL text: document, delta, client, clock key, awareness and connection.
  beforeAll(async () => {
    provider = await (await targets.get(driver)).createProvider({ awarenessTimeoutMs: AN_HOUR });
    for (const [index, id] of SQL_TEXT_IDS.entries()) {
      expect(await provider.documents.addDelta(id, deltaFor(id, index))).toBe(true);
      expect(await provider.awareness.set(id, id, { id }, 1, { connectionId: id })).toBe(true);
    }
  }, 120_000);

  it('are stored and returned literally in every field that holds an id', async () => {
    const { documents, awareness } = provider;
    expect([...(await documents.getDocumentIds())].sort()).toEqual([...SQL_TEXT_IDS].sort());
    for (const [index, id] of SQL_TEXT_IDS.entries()) {
      expect(await documents.getDeltasSince(id)).toEqual([deltaFor(id, index)]);
      expect(await documents.getVectorClock(id)).toEqual({ [id]: index + 1 });
      expect(await awareness.get(id, id)).toMatchObject({
        documentId: id,
        clientId: id,
        connectionId: id,
        state: { id },
      });
    }
  });

  // Runs after the read-back above: it removes the '%' presence and the '_' document.
  it('never act as LIKE patterns: % and _ match only themselves', async () => {
    const { documents, awareness } = provider;
    expect(await awareness.getAll('%')).toHaveLength(1);
    expect(await awareness.removeAllForConnection('%')).toBe(1);
    expect(await documents.delete('_')).toBe(true);
    const after = (await readObservableState(provider, SQL_TEXT_IDS)) as {
      docs: { id: string }[];
      presence: Record<string, unknown[]>;
    };
    expect(after.docs.map((doc) => doc.id).sort()).toEqual(SQL_TEXT_IDS.filter((id) => id !== '_').sort());
    const emptyRooms = Object.entries(after.presence)
      .filter(([, entries]) => entries.length === 0)
      .map(([room]) => room);
    expect(emptyRooms.sort()).toEqual(['%', '_']);
    expect(await documents.getDocumentIds({ cursor: '%', limit: 100 })).not.toContain('%');
  });

  it('reach no other connection when presence is removed by a connection id of SQL text', async () => {
    const { awareness } = provider;
    for (const connectionId of CONNECTION_ID_POOL) await awareness.set('lobby', connectionId, {}, 1, { connectionId });
    expect(await awareness.removeAllForConnection(`' OR 1=1 --`)).toBe(2); // the lobby entry and the one set in beforeAll
    expect((await awareness.getAll('lobby')).map((entry) => entry.connectionId).sort()).toEqual(
      CONNECTION_ID_POOL.filter((id) => id !== `' OR 1=1 --`).sort(),
    );
  });
});

describe.each(DRIVERS)('size limits on the %s driver', (driver) => {
  let provider: StorageProvider;

  beforeAll(async () => {
    provider = await (await targets.get(driver)).createProvider({ ...HOSTILE_LIMITS, awarenessTimeoutMs: AN_HOUR });
  }, 120_000);

  /** A delta whose JSON is exactly `bytes` long (ASCII payload, so characters are bytes). */
  function deltaOfSize(id: string, bytes: number) {
    const empty = JSON.stringify(validDelta({ id, clientId: 'z', vectorClock: { z: 1 }, data: '' })).length;
    return validDelta({ id, clientId: 'z', vectorClock: { z: 1 }, data: 'p'.repeat(bytes - empty) });
  }

  it('accept a delta of exactly maxDeltaBytes and reject one byte more before writing anything', async () => {
    const { documents } = provider;
    const atLimit = deltaOfSize('at-limit', HOSTILE_LIMITS.maxDeltaBytes);
    expect(JSON.stringify(atLimit)).toHaveLength(HOSTILE_LIMITS.maxDeltaBytes);
    expect(await documents.addDelta('sized', atLimit)).toBe(true);
    const before = await readObservableState(provider);
    const over = deltaOfSize('over', HOSTILE_LIMITS.maxDeltaBytes + 1);
    expect(
      await validationProblem(() => documents.addDeltas('sized', [deltaOfSize('fine', 100), over]), 'deltas[1]'),
    ).toBeUndefined();
    expect(await validationProblem(() => documents.addDelta('other-doc', over), 'delta')).toBeUndefined();
    expect(await readObservableState(provider)).toEqual(before);
  });

  it('count the limit in UTF-8 bytes, not characters', async () => {
    const empty = JSON.stringify(validDelta({ id: 'utf8', clientId: 'z', vectorClock: { z: 1 }, data: '' })).length;
    // Each é is one character and two bytes: half the room in characters already fills the limit twice over.
    const wide = validDelta({
      id: 'utf8',
      clientId: 'z',
      vectorClock: { z: 1 },
      data: '\u00e9'.repeat(HOSTILE_LIMITS.maxDeltaBytes - empty),
    });
    expect(await validationProblem(() => provider.documents.addDelta('utf8-doc', wide), 'delta')).toBeUndefined();
    expect(await provider.documents.exists('utf8-doc')).toBe(false);
  });

  it('accept a snapshot of exactly maxSnapshotBytes and keep it when a bigger one is refused', async () => {
    const { documents } = provider;
    const exact = new Uint8Array(HOSTILE_LIMITS.maxSnapshotBytes).fill(7);
    await documents.addDeltas('snap', [makeDelta('z1', 'z', 1), makeDelta('z2', 'z', 2)]);
    await documents.saveSnapshot('snap', exact, { z: 1 });
    expect(
      await validationProblem(
        () => documents.saveSnapshot('snap', new Uint8Array(HOSTILE_LIMITS.maxSnapshotBytes + 1), { z: 2 }),
        'data',
      ),
    ).toBeUndefined();
    const stored = await documents.getSnapshot('snap');
    expect(Array.from(stored!.data)).toEqual(Array.from(exact));
    expect(stored!.vectorClock).toEqual({ z: 1 });
    expect(await documents.getVectorClock('snap')).toEqual({ z: 2 });
  });

  it('bound an awareness state by maxAwarenessBytes and leave the previous state in place', async () => {
    const { awareness } = provider;
    await awareness.set('presence', 'z', { small: true }, 1);
    expect(
      await validationProblem(
        () => awareness.set('presence', 'z', { big: 'q'.repeat(HOSTILE_LIMITS.maxAwarenessBytes) }, 2),
        'state',
      ),
    ).toBeUndefined();
    expect(await awareness.get('presence', 'z')).toMatchObject({ state: { small: true }, clock: 1 });
  });
});
