// A steady unary load on the demo server's Get: one call every INTERVAL ms, whatever the answers
// do (open loop, so a stalled server shows as late or failed calls instead of a slower client),
// each with a 1 s deadline. Prints {"event":"ready"} after the first answer. Commands on stdin:
//   {"cmd":"reset","seq":1}  counts the calls started from now on
//   {"cmd":"read","seq":2}   closes that window; once its calls have all ended (at most 1 s),
//                            { seq, calls, failed, codes, maxLatencyMs, slowestAt } (epoch ms
//                            when the slowest call started)
//   node unaryLoad.js PORT [INTERVAL_MS]
'use strict';
const readline = require('node:readline');
const { grpc, demo } = require('./demoService');
const [port, intervalText = '5'] = process.argv.slice(2);
const client = new demo.Ingest(`127.0.0.1:${port}`, grpc.credentials.createInsecure());

const newWindow = () => ({ calls: 0, failed: 0, codes: {}, maxLatencyMs: 0, slowestAt: null, pending: 0, closed: false, onSettled: null });
let window = newWindow();
let ready = false;

setInterval(() => {
  const w = window;
  const t0 = performance.now();
  const startedAt = Date.now();
  w.calls++;
  w.pending++;
  client.Get({ data: 'x' }, { deadline: Date.now() + 1000 }, (err) => {
    const ms = performance.now() - t0;
    if (ms > w.maxLatencyMs) {
      w.maxLatencyMs = ms;
      w.slowestAt = startedAt;
    }
    if (err) {
      w.failed++;
      w.codes[err.code] = (w.codes[err.code] ?? 0) + 1;
    } else if (!ready) {
      ready = true;
      process.stdout.write(JSON.stringify({ event: 'ready' }) + '\n');
    }
    if (--w.pending === 0 && w.closed) w.onSettled?.();
  });
}, Number(intervalText));

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  let msg;
  try { msg = JSON.parse(line); } catch { return; }
  if (msg.cmd === 'reset') {
    window = newWindow();
    process.stdout.write(JSON.stringify({ seq: msg.seq }) + '\n');
  } else if (msg.cmd === 'read') {
    const w = window;
    window = newWindow();
    w.closed = true;
    const answer = () => {
      const { calls, failed, codes, maxLatencyMs, slowestAt } = w;
      process.stdout.write(JSON.stringify({ seq: msg.seq, calls, failed, codes, maxLatencyMs, slowestAt }) + '\n');
    };
    if (w.pending === 0) answer();
    else w.onSettled = answer;
  }
});
