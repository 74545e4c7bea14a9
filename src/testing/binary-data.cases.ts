import { types } from 'node:util';
import type { StoredDelta } from '../index.js';
import { expectRejectedEverywhere } from './bad-input.js';
import type { ConformanceContextGetter } from './conformance-context.js';
import { bytesOf, collect, makeDelta } from './conformance-helpers.js';
import { describe, expect, it } from './runner.js';

/** Every way a delta can be read back, for one document with no snapshot. */
async function everyRead(context: ConformanceContextGetter, documentId: string): Promise<StoredDelta[][]> {
  const { documents } = context();
  return [
    await documents.getDeltasSince(documentId),
    await documents.getDeltasSince(documentId, {}),
    await collect(documents.iterateDeltasSince(documentId, null, { batchSize: 1 })),
    (await documents.getDeltasPage(documentId, null, { limit: 2 })).deltas,
    (await documents.getChangesSince(documentId)).deltas,
  ];
}

const expectBytes = (data: unknown, expected: number[]): void => {
  expect(types.isUint8Array(data)).toBe(true);
  expect(bytesOf(data as Uint8Array)).toEqual(expected);
};

export function binaryDataCases(context: ConformanceContextGetter): void {
  describe('bytes as delta data', () => {
    it('a Uint8Array is stored as bytes and read back as a Uint8Array with the same bytes, by every read', async () => {
      const { documents } = context();
      const all = Array.from({ length: 256 }, (_, i) => i);
      await documents.addDelta('doc', makeDelta('b1', 'a', 1, { data: new Uint8Array(all) }));
      for (const read of await everyRead(context, 'doc')) {
        expect(read).toHaveLength(1);
        expect({ ...read[0], data: null }).toEqual({ ...makeDelta('b1', 'a', 1), data: null });
        expectBytes(read[0]!.data, all);
      }
    });

    it('a Buffer, an empty array and a view into a larger buffer keep exactly their own bytes', async () => {
      const { documents } = context();
      const backing = new Uint8Array([9, 9, 1, 2, 3, 9]);
      await documents.addDeltas('doc', [
        makeDelta('buffer', 'a', 1, { data: Buffer.from([0, 255, 0]) }),
        makeDelta('empty', 'a', 2, { data: new Uint8Array(0) }),
        makeDelta('view', 'a', 3, { data: backing.subarray(2, 5) }),
      ]);
      const read = await documents.getDeltasSince('doc');
      expectBytes(read[0]!.data, [0, 255, 0]);
      expectBytes(read[1]!.data, []);
      expectBytes(read[2]!.data, [1, 2, 3]);
    });

    it('bytes and JSON data mix in one batch, and JSON that looks like bytes stays JSON', async () => {
      const { documents } = context();
      const lookalike = { type: 'Buffer', data: [1, 2] };
      await documents.addDeltas('doc', [
        makeDelta('bytes', 'a', 1, { data: new Uint8Array([1, 2]) }),
        makeDelta('json', 'a', 2, { data: lookalike }),
        makeDelta('array', 'a', 3, { data: [1, 2] }),
      ]);
      const [bytes, json, array] = await documents.getDeltasSince('doc');
      expectBytes(bytes!.data, [1, 2]);
      expect(json!.data).toEqual(lookalike);
      expect(array!.data).toEqual([1, 2]);
      expect(types.isUint8Array(array!.data)).toBe(false);
    });

    it('the stored bytes are not aliased to the array passed in or to an array returned', async () => {
      const { documents } = context();
      const input = new Uint8Array([1, 2, 3]);
      const buffer = Buffer.from([4, 5, 6]);
      await documents.addDeltas('doc', [
        makeDelta('b1', 'a', 1, { data: input }),
        makeDelta('b2', 'a', 2, { data: buffer }),
      ]);
      input[0] = 99;
      buffer[0] = 99;
      const [first] = await documents.getDeltasSince('doc');
      (first!.data as Uint8Array)[1] = 98;
      const [again, other] = await documents.getDeltasSince('doc');
      expectBytes(again!.data, [1, 2, 3]);
      expectBytes(other!.data, [4, 5, 6]);
    });

    it('a bytes delta counts its byte length plus the JSON of the rest against maxDeltaBytes', async () => {
      const limit = 300;
      await context().withProvider({ maxDeltaBytes: limit }, async (provider) => {
        const rest = Buffer.byteLength(JSON.stringify({ ...makeDelta('b', 'a', 1), data: undefined }));
        const atLimit = limit - rest;
        await expectRejectedEverywhere(
          provider,
          [{ name: 'documents.addDelta', argument: 'delta', call: (p, v) => p.documents.addDelta('new', v) }],
          [['bytes one over the limit', makeDelta('b', 'a', 1, { data: new Uint8Array(atLimit + 1) })]],
        );
        expect(
          await provider.documents.addDelta('new', makeDelta('b', 'a', 1, { data: new Uint8Array(atLimit) })),
        ).toBe(true);
      });
    });

    it('a resend of a bytes delta is a no-op, and a snapshot covers bytes deltas like any other', async () => {
      const { documents } = context();
      const delta = makeDelta('b1', 'a', 1, { data: new Uint8Array([7]) });
      expect(await documents.addDelta('doc', delta)).toBe(true);
      expect(await documents.addDelta('doc', delta)).toBe(false);
      await documents.saveSnapshot('doc', new Uint8Array([0]), { a: 1 });
      expect(await documents.compactDeltas('doc', { a: 1 })).toBe(1);
      expect(await documents.addDelta('doc', delta)).toBe(false);
      expect(await documents.getDeltasSince('doc')).toEqual([]);
    });
  });
}
