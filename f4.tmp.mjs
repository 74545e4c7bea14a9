import * as Y from 'yjs';
import * as enc from 'lib0/encoding';
const a = new Y.Doc(); a.clientID = 20;
a.getText('t').insert(0, 'hello world');
const server = new Y.Doc(); Y.applyUpdate(server, Y.encodeStateAsUpdate(a));
const e = new enc.Encoder();
enc.writeVarUint(e, 2);
for (const [client, len] of [[30, 1], [20, 12]]) {
  enc.writeVarUint(e, 1); enc.writeVarUint(e, client); enc.writeVarUint(e, 0);
  enc.writeUint8(e, 1); enc.writeVarUint(e, 0); enc.writeVarUint(e, 99); enc.writeVarUint(e, 0); enc.writeVarUint(e, len); // ContentDeleted parent ghost
}
enc.writeVarUint(e, 0);
const u = enc.toUint8Array(e);
Y.applyUpdate(server, u);
console.log(u.byteLength, 'pending', !!server.store.pendingStructs, 'live', server.getText('t').toString());
const fresh = new Y.Doc(); Y.applyUpdate(fresh, Y.encodeStateAsUpdate(server));
console.log('fresh', JSON.stringify(fresh.getText('t').toString()));
