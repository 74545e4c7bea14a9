import type { JsonValue } from '../../src/index.js';
import { interleavedLatency, pairedThroughput, type TimedCall } from '../harness/measure.js';
import { clientIds } from '../workload.js';
import { expectEqual, type ScenarioContext } from './scenario-context.js';

function presence(client: number, pass: number): JsonValue {
  return {
    user: { name: `User ${client}`, color: '#10b981' },
    cursor: { anchor: pass % 500, head: (pass + client) % 500 },
    typing: pass % 2 === 0,
  };
}

/** Presence of many clients on one document: each `set` with a newer clock, then `getAll`. */
export async function runAwarenessScenarios(context: ScenarioContext): Promise<void> {
  const { sizes, floor } = context;
  const awareness = context.provider?.awareness ?? null;
  const documentId = 'awareness/room';
  const clients = clientIds(sizes.awarenessClients);
  // Every client sets its state `passes` times per round, each time with a newer clock.
  const passes = context.driver === 'memory' ? 50 : 2;
  let clock = 0;

  const sets = await pairedThroughput(
    context.rounds,
    async () => {
      const first = clock + 1;
      clock += passes;
      const run = async (set: (client: string, state: JsonValue, clock: number) => Promise<boolean>): Promise<void> => {
        for (let pass = 0; pass < passes; pass++)
          for (let c = 0; c < clients.length; c++)
            expectEqual(await set(clients[c]!, presence(c, pass), first + pass), true, 'awareness set');
      };
      return {
        ops: passes * clients.length,
        ours: awareness ? () => run((client, state, at) => awareness.set(documentId, client, state, at)) : null,
        floor: () => run((client, state, at) => floor.setAwareness(documentId, client, state, at)),
      };
    },
    context.warmupRounds,
  );
  context.record({
    id: 'awareness.set',
    scenario: 'awareness set',
    detail: `${clients.length} clients on a document`,
    ours: sets.ours,
    floor: sets.floor,
    floorLabel: floor.label('setAwareness'),
  });

  const statesJson = clients.map((_, c) => JSON.stringify(presence(c, passes - 1)));
  const calls: TimedCall[] = [
    {
      name: 'floor',
      call: async () =>
        expectEqual(await floor.getAllAwareness(documentId, statesJson), clients.length, 'floor getAll'),
      samples: context.latencySamples,
    },
  ];
  if (awareness)
    calls.push({
      name: 'ours',
      call: async () => expectEqual((await awareness.getAll(documentId)).length, clients.length, 'awareness getAll'),
      samples: context.latencySamples,
    });
  const latency = await interleavedLatency(calls, 5);
  context.record({
    id: 'awareness.getAll',
    scenario: 'awareness getAll',
    detail: `${clients.length} clients on a document`,
    ours: latency.get('ours') ?? null,
    floor: latency.get('floor')!,
    floorLabel: floor.label('getAllAwareness'),
  });
}
