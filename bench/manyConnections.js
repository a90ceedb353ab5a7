// Opens N client connections to a server, each with one open bidi stream (for the probe
// benchmark). grpc-js shares one subchannel, so one HTTP/2 connection, among all channels to the
// same target with the same options: each channel here gets a local subchannel pool and its own
// dummy option, so each has its own connection. Prints {"event":"ready","connections":N} once every
// stream has had its first echo; the streams then stay open and silent.
//   node manyConnections.js PORT N
'use strict';
const { grpc, demo } = require('./demoService');
const [port, nText] = process.argv.slice(2);
const n = Number(nText);
const keep = [];
let ready = 0;
for (let i = 0; i < n; i++) {
  const client = new demo.Ingest(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
    'grpc-stream-debugger.bench.connection': i,
  });
  const call = client.Chat();
  call.on('error', () => undefined);
  call.once('data', () => {
    if (++ready === n) process.stdout.write(JSON.stringify({ event: 'ready', connections: n }) + '\n');
  });
  call.write({ data: 'hello' });
  keep.push({ client, call });
}
