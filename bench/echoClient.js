// Drives the echo server: S bidi streams, each sending its next message when the previous echo
// arrives, until N messages in all were echoed. Prints {"messages", "ms"}.
//   node echoClient.js PORT N [STREAMS]
'use strict';
const { grpc, demo } = require('./demoService');
const [port, totalText, streamsText = '8'] = process.argv.slice(2);
const total = Number(totalText);
const client = new demo.Ingest(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
client.waitForReady(Date.now() + 20000, (err) => {
  if (err) throw err;
  let sent = 0;
  let echoed = 0;
  const started = process.hrtime.bigint();
  for (let s = 0; s < Number(streamsText); s++) {
    const call = client.Chat();
    call.on('error', () => undefined);
    call.on('data', () => {
      echoed++;
      if (echoed === total) {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        process.stdout.write(JSON.stringify({ messages: total, ms }) + '\n');
        process.exit(0);
      }
      if (sent < total) { sent++; call.write({ data: 'payload-0123456789' }); }
    });
    sent++;
    call.write({ data: 'payload-0123456789' });
  }
});
