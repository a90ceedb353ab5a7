// Opens N bidi streams to a server over a few channels and keeps them open (for the 10,000-stream
// benchmarks). Prints {"event":"ready"} once every stream has had its first echo.
//   node manyStreams.js PORT N
'use strict';
const { grpc, demo } = require('./demoService');
const [port, nText] = process.argv.slice(2);
const n = Number(nText);
const clients = Array.from({ length: 8 }, (_, i) => new demo.Ingest(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.channel_id': i }));
const keep = [];
let ready = 0;
for (let i = 0; i < n; i++) {
  const call = clients[i % clients.length].Chat();
  call.on('error', () => undefined);
  call.once('data', () => {
    if (++ready === n) process.stdout.write(JSON.stringify({ event: 'ready' }) + '\n');
  });
  call.write({ data: 'hello' });
  keep.push(call);
}
