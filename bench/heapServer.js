// The echo server (bench/echoServer.js) with a retained heap of about --heap-mb MB, and a meter of
// the event loop's longest stall, for the fresh-attach benchmark. Commands on stdin, one JSON line
// each, answered on stdout with the same seq:
//   {"cmd":"gc","seq":1}     two full GCs, then { rss, heapUsed }
//   {"cmd":"reset","seq":2}  starts a stall window
//   {"cmd":"read","seq":3}   { stallMs, eldMaxMs, gaps, rss, heapUsed } of the window so far, gaps
//                            being the ticks late by over 10 ms as [epoch ms at their end, gap ms]
//   node --expose-gc heapServer.js --heap-mb 300
'use strict';
const readline = require('node:readline');
const { monitorEventLoopDelay } = require('node:perf_hooks');

const i = process.argv.indexOf('--heap-mb');
const targetBytes = (i > 0 ? Number(process.argv[i + 1]) : 0) * 1048576;

// Small objects with their own strings, in arrays of 100,000 held from a global: a major GC has to
// mark every one of them (one big array of numbers would be a single object to the marker).
globalThis.retained = [];
function buildChunk() {
  const n = globalThis.retained.length * 100000;
  const chunk = new Array(100000);
  for (let k = 0; k < chunk.length; k++) chunk[k] = { id: n + k, name: `item-${n + k}` };
  globalThis.retained.push(chunk);
}

function startMeters() {
  // Longest gap between two ticks of a 1 ms timer: what any timer, socket or deadline in the
  // process waited at worst. A free loop reads 1-2 ms. monitorEventLoopDelay is kept as a check.
  let last = performance.now();
  let maxGap = 0;
  let gaps = [];
  setInterval(() => {
    const now = performance.now();
    const gap = now - last;
    if (gap > maxGap) maxGap = gap;
    if (gap > 10 && gaps.length < 50) gaps.push([performance.timeOrigin + now, gap]);
    last = now;
  }, 1);
  const eld = monitorEventLoopDelay({ resolution: 1 });
  eld.enable();
  const reply = (seq, extra = {}) => {
    const m = process.memoryUsage();
    process.stdout.write(JSON.stringify({ seq, rss: m.rss, heapUsed: m.heapUsed, ...extra }) + '\n');
  };
  readline.createInterface({ input: process.stdin }).on('line', (line) => {
    let msg;
    try { msg = JSON.parse(line); } catch { return; }
    if (msg.cmd === 'gc') {
      global.gc?.();
      global.gc?.();
      reply(msg.seq);
    } else if (msg.cmd === 'reset') {
      maxGap = 0;
      gaps = [];
      last = performance.now();
      eld.reset();
      reply(msg.seq);
    } else if (msg.cmd === 'read') {
      reply(msg.seq, { stallMs: maxGap, eldMaxMs: eld.max / 1e6, gaps });
    }
  });
}

// Built in chunks with a turn of the loop between them, before the server listens (the benchmark
// waits for "listening"); the heap counts what the server itself holds, so 5 MB adds nothing.
(function build() {
  if (process.memoryUsage().heapUsed < targetBytes) {
    buildChunk();
    setImmediate(build);
    return;
  }
  startMeters();
  require('./echoServer.js');
})();
