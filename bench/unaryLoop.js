// N unary calls, C at a time, against the demo server's Get. Prints {"done": N} at the end.
//   node unaryLoop.js PORT N [C]
'use strict';
const { grpc, demo } = require('./demoService');
const [port, nText, cText = '64'] = process.argv.slice(2);
const n = Number(nText);
const client = new demo.Ingest(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
let started = 0;
let done = 0;
function next() {
  if (started >= n) return;
  started++;
  client.Get({ data: 'x' }, () => {
    done++;
    if (done === n) {
      process.stdout.write(JSON.stringify({ done }) + '\n');
      process.exit(0);
    }
    next();
  });
}
for (let i = 0; i < Number(cText); i++) next();
