// What reading a Go server costs: a real grpc-go server (the test fixture, built here) with 1,000
// and 10,000 handler goroutines waiting in Recv (silent client streams on one connection). Per
// size: the pprof dump's size and the time to fetch it, to parse it into handler calls, and
// `grpc-streams list --pprof URL --json` end to end (a new process, as a user runs it); then the
// pause Delve causes for one snapshot (`list --delve`: from its attach to its detach).
import { performance } from 'node:perf_hooks';
import { CLI, buildIngest, fmt, median, require, run, start } from './lib.mjs';

const { parseGoroutineDump } = require('../out/src/sources/goPprof/goroutineDump.js');
const { handlerCalls } = require('../out/src/sources/goPprof/handlerCalls.js');
const { readGoDelve } = require('../out/src/sources/goDelve/delveSource.js');

const SIZES = [1000, 10000];

/** The longest any of a stream of small requests (/debug/pprof/cmdline) waits while `path` is fetched once. */
async function longestStall(port, path) {
  const http = await import('node:http');
  const agent = new http.Agent({ keepAlive: true });
  const get = (p) => new Promise((resolve, reject) => {
    const t = performance.now();
    http.get({ host: '127.0.0.1', port, path: p, agent }, (res) => { res.resume(); res.on('end', () => resolve(performance.now() - t)); }).on('error', reject);
  });
  let max = 0;
  let stop = false;
  const loop = (async () => { while (!stop) max = Math.max(max, await get('/debug/pprof/cmdline')); })();
  await new Promise((r) => setTimeout(r, 300));
  const before = max;
  max = 0;
  await get(path);
  stop = true;
  await loop;
  agent.destroy();
  return { during: max, before };
}

async function fetchText(url) {
  const res = await fetch(url);
  return res.text();
}

async function one(bin, n) {
  const server = start(bin, ['server'], { env: { ...process.env, PPROF: '1' } });
  const { port } = await server.waitFor((e) => e.event === 'listening');
  const { port: pprof } = await server.waitFor((e) => e.event === 'pprof');
  const client = start(bin, ['client', `127.0.0.1:${port}`, `many:${n}`]);
  try {
    await client.waitFor((e) => e.event === 'opened');
    const base = `http://127.0.0.1:${pprof}`;
    const url = `${base}/debug/pprof/goroutine?debug=2`;
    // The handlers have all reached Recv once the dump lists n of them.
    let text = '';
    for (let i = 0; i < 100; i++) {
      text = await fetchText(url);
      if (handlerCalls(parseGoroutineDump(text)).length >= n) break;
    }
    const fetchMs = [];
    const parseMs = [];
    const cliMs = [];
    for (let i = 0; i < 5; i++) {
      let t = performance.now();
      text = await fetchText(url);
      fetchMs.push(performance.now() - t);
      t = performance.now();
      const calls = handlerCalls(parseGoroutineDump(text));
      parseMs.push(performance.now() - t);
      if (calls.length < n) throw new Error(`only ${calls.length} of ${n} handler goroutines in the dump`);
    }
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      const r = await run(process.execPath, [CLI, 'list', '--pprof', base, '--json']);
      cliMs.push(performance.now() - t);
      if (r.err) throw new Error(`list --pprof failed: ${r.stderr}`);
      const listed = JSON.parse(r.stdout).streams.reduce((sum, c) => sum + (c.goroutines ?? 1), 0);
      if (listed < n) throw new Error(`list --pprof listed ${listed} of ${n}`);
    }
    const pauses = [];
    let timing = null;
    for (let i = 0; i < 3; i++) {
      const snap = await readGoDelve(server.pid);
      if (snap.calls.length < n) throw new Error(`Delve saw ${snap.calls.length} of ${n}`);
      pauses.push(snap.pausedMs);
      timing = snap.timing;
    }
    // How long other requests to the server are held while it writes each kind of dump.
    const stall = { full: await longestStall(pprof, `/debug/pprof/goroutine?debug=2`), grouped: await longestStall(pprof, `/debug/pprof/goroutine?debug=1`) };
    return { goroutines: n, dumpBytes: Buffer.byteLength(text), fetchMs: median(fetchMs), parseMs: median(parseMs), listJsonMs: median(cliMs), delvePauseMs: median(pauses), delveTiming: timing, stallMs: stall };
  } finally {
    client.kill();
    server.kill();
  }
}

export async function goLiveBench() {
  const bin = buildIngest('bench-golive');
  const out = [];
  for (const n of SIZES) out.push(await one(bin, n));
  return out;
}

export function printGoLive(rows) {
  console.log('\nGo server read through pprof and Delve (handler goroutines waiting in Recv; medians)');
  for (const r of rows) {
    console.log(`  ${r.goroutines} handlers: full dump (debug=2) ${fmt(r.dumpBytes / 1024 / 1024, 1)} MB, fetched in ${fmt(r.fetchMs, 0)} ms, parsed in ${fmt(r.parseMs, 0)} ms`);
    console.log(`    other requests to the server held up to ${fmt(r.stallMs.full.during, 0)} ms during the full dump, ${fmt(r.stallMs.grouped.during, 0)} ms during the grouped one (${fmt(r.stallMs.full.before, 0)} ms before)`);
    console.log(`    list --pprof --json end to end ${fmt(r.listJsonMs, 0)} ms (${r.goroutines > 2000 ? 'grouped profile' : 'full dump'})`);
    console.log(`    Delve snapshot paused the process ${fmt(r.delvePauseMs, 0)} ms: attach and debug info ${fmt(r.delveTiming.attachMs, 0)} ms, list ${fmt(r.delveTiming.listMs, 0)} ms, stacks ${fmt(r.delveTiming.stacksMs, 0)} ms, kinds and peers ${fmt(r.delveTiming.variablesMs ?? 0, 0)} ms`);
  }
}
