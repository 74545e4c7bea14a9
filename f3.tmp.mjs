import * as Y from 'yjs';
import * as enc from 'lib0/encoding';
function makeServer() {
  const a = new Y.Doc(), b = new Y.Doc();
  a.clientID = 10; b.clientID = 20;
  a.getText('t').insert(0, 'hello '); Y.applyUpdate(b, Y.encodeStateAsUpdate(a)); b.getText('t').insert(6, 'world');
  const server = new Y.Doc(); Y.applyUpdate(server, Y.encodeStateAsUpdate(a)); Y.applyUpdate(server, Y.encodeStateAsUpdate(b));
  return server;
}
let seed = 1; const rnd = (n) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
function craft() {
  const e = new enc.Encoder();
  const groups = 1 + rnd(3);
  enc.writeVarUint(e, groups);
  for (let g = 0; g < groups; g++) {
    const n = 1 + rnd(2);
    enc.writeVarUint(e, n);
    enc.writeVarUint(e, [10, 20, 30, 5][rnd(4)]);
    enc.writeVarUint(e, rnd(14));
    for (let s = 0; s < n; s++) {
      const kind = rnd(4);
      if (kind === 0) { enc.writeUint8(e, 0); enc.writeVarUint(e, 1 + rnd(30)); } // GC
      else if (kind === 1) { // item, string, parent = ghost id
        enc.writeUint8(e, 4); enc.writeVarUint(e, 0); enc.writeVarUint(e, 99); enc.writeVarUint(e, 0); enc.writeVarString(e, 'x'.repeat(1 + rnd(20)));
      } else if (kind === 3) { enc.writeUint8(e, 10); enc.writeVarUint(e, 1 + rnd(15)); } else { // item with origin at someone's clock
        enc.writeUint8(e, 4 | 128); enc.writeVarUint(e, [10, 20, 99][rnd(3)]); enc.writeVarUint(e, rnd(15)); enc.writeVarString(e, 'y'.repeat(1 + rnd(5)));
      }
    }
  }
  enc.writeVarUint(e, 0); // empty delete set
  return enc.toUint8Array(e);
}
let found = 0;
for (let i = 0; i < 400000 && found < 3; i++) {
  const server = makeServer();
  const u = craft();
  try { Y.applyUpdate(server, u); } catch { continue; }
  let fresh; try { fresh = new Y.Doc(); Y.applyUpdate(fresh, Y.encodeStateAsUpdate(server)); } catch (e) { continue; }
  const live = server.getText('t').toString(), stored = fresh.getText('t').toString();
  if (live !== stored && [...'helloworld'].some((c) => (stored.split(c).length < live.split(c).length))) { found++; console.log(u.byteLength, Buffer.from(u).toString('hex'), JSON.stringify(live), '->', JSON.stringify(stored)); }
}
console.log('found', found);
