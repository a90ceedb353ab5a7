// Bidi echo server for the overhead benchmark. Prints {"event":"listening","port"} and, with
// --count N, exits after echoing N messages (for instruction counting under callgrind), printing
// {"event":"done","pingsSent"} first when the agent is in the process (the PINGs it sent in all).
'use strict';
const { grpc, demo } = require('./demoService');
const i = process.argv.indexOf('--count');
const limit = i > 0 ? Number(process.argv[i + 1]) : Infinity;
let echoed = 0;
const server = new grpc.Server();
server.addService(demo.Ingest.service, {
  Chat(call) {
    call.on('data', (m) => {
      call.write(m);
      if (++echoed === limit) setImmediate(exit);
    });
    call.on('end', () => call.end());
    call.on('error', () => undefined);
  },
  Upload(call, cb) { call.on('data', () => undefined); call.on('end', () => cb(null, { count: 0 })); call.on('error', () => undefined); },
  Watch(call) { call.write({ data: 'x' }); },
  Get(call, cb) { cb(null, {}); },
});
function exit() {
  const agent = globalThis[Symbol.for('grpc-stream-debugger.agent')];
  if (agent) process.stdout.write(JSON.stringify({ event: 'done', pingsSent: agent.connections.pingsSent }) + '\n');
  process.exit(0);
}
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, port) => {
  process.stdout.write(JSON.stringify({ event: 'listening', port }) + '\n');
});
