// Drives the echo server: S bidi streams, each sending its next message when the previous echo
// arrives, until N messages in all were echoed. Prints {"messages", "ms"}. With IDLE, that many
// more streams on the same channel (so the same HTTP/2 connection) send one message and then stay
// open and silent (their echoes are not counted): streams a liveness probe looks at.
//   node echoClient.js PORT N [STREAMS] [IDLE]
'use strict';
const { grpc, demo } = require('./demoService');
const [port, totalText, streamsText = '8', idleText = '0'] = process.argv.slice(2);
const total = Number(totalText);
const client = new demo.Ingest(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
client.waitForReady(Date.now() + 20000, (err) => {
  if (err) throw err;
  const idle = [];
  for (let s = 0; s < Number(idleText); s++) {
    const call = client.Chat();
    call.on('error', () => undefined);
    call.write({ data: 'idle' });
    idle.push(call);
  }
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
