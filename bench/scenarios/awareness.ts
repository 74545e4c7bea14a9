import type { JsonValue } from '../../src/index.js';
import { clientIds } from '../workload.js';
import { expectEqual, vsFloor, type Scenario } from './context.js';

function presence(client: number, pass: number): JsonValue {
  return {
    user: { name: `User ${client}`, color: '#10b981' },
    cursor: { anchor: pass % 500, head: (pass + client) % 500 },
    typing: pass % 2 === 0,
  };
}

/** Presence of many clients on one document: each `set` with a newer clock, then `getAll`. */
export const scenario: Scenario = {
  name: 'awareness',
  async run(context) {
    const { sizes, floor, provider } = context;
    const documentId = 'awareness/room';
    const clients = clientIds(sizes.awarenessClients);
    const detail = `${clients.length} clients on a document`;
    // Each client sets its state `passes` times a round, each time with a newer clock.
    const passes = context.driver === 'memory' ? 50 : 2;
    let clock = 0;
    const sets = await context.rates(async () => {
      const first = clock + 1;
      clock += passes;
      const setAll = (set: (client: string, state: JsonValue, clock: number) => Promise<boolean>) => async () => {
        for (let pass = 0; pass < passes; pass++)
          for (let c = 0; c < clients.length; c++)
            expectEqual(await set(clients[c]!, presence(c, pass), first + pass), true, 'awareness set');
      };
      const ours = setAll((client, state, at) => provider.awareness.set(documentId, client, state, at));
      const floorSets = setAll((client, state, at) => floor.setAwareness(documentId, client, state, at));
      return { ops: passes * clients.length, sides: { ours, floor: floorSets } };
    });
    vsFloor(context, { id: 'awareness.set', scenario: 'awareness set', detail, floor: 'setAwareness' }, sets);

    const json = clients.map((_, c) => JSON.stringify(presence(c, passes - 1)));
    const reads = await context.latency({
      ours: async () => expectEqual((await provider.awareness.getAll(documentId)).length, clients.length, 'getAll'),
      floor: async () => expectEqual(await floor.getAllAwareness(documentId, json), clients.length, 'floor getAll'),
    });
    vsFloor(context, { id: 'awareness.getAll', scenario: 'awareness getAll', detail, floor: 'getAllAwareness' }, reads);
  },
};
