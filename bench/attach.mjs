// What a fresh attach (no agent in the process yet) costs a running grpc-js server: its longest
// event-loop stall and the unary calls it fails, at several heap sizes and with 10,000 open
// streams. One `grpc-streams list --json` per scenario installs the agent, adopts the calls in
// flight and prints the snapshot, while a separate client keeps a steady unary load on the server.
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI, fmt, inspectPort, run, start } from './lib.mjs';

const PIPES = { stdio: ['pipe', 'pipe', 'pipe'] };
const LOAD_INTERVAL_MS = 5; // 200 unary calls a second
const BASELINE_MS = 2000;
const SETTLE_MS = 500; // after the CLI exits: anything the agent still does once the session closed
// After a forced full GC, before a window opens: with 1 GB the GC's aftermath (sweeping) stalled
// the loop for 37 ms just after it, which is no part of the attach.
const AFTER_GC_MS = 1000;
const MiB = 1048576;

// heapMb is the heap the server holds in all; a grpc-js server with the demo service already holds
// about 8 MiB, so the smallest scenario (the "5 MB") adds nothing.
export const SCENARIOS = [
  { name: 'server alone', heapMb: 0, streams: 16 },
  { name: '300 MB heap', heapMb: 300, streams: 16 },
  { name: '1 GB heap', heapMb: 1024, streams: 16 },
  { name: '10,000 streams', heapMb: 0, streams: 10000 },
];

let seq = 0;
/** One command to a fixture that answers with the same seq (bench/heapServer.js, bench/unaryLoad.js). */
async function ask(proc, cmd) {
  const n = ++seq;
  proc.send(JSON.stringify({ cmd, seq: n }));
  return proc.waitFor((e) => e.seq === n);
}

/** Starts a stall window in the server and a call window in the client at the same moment. */
const reset = (server, load) => Promise.all([ask(server, 'reset'), ask(load, 'reset')]);
const read = async (server, load) => {
  const [s, l] = await Promise.all([ask(server, 'read'), ask(load, 'read')]);
  return { stallMs: s.stallMs, eldMaxMs: s.eldMaxMs, gaps: s.gaps, calls: l.calls, failed: l.failed, codes: l.codes, maxLatencyMs: l.maxLatencyMs, slowestAt: l.slowestAt };
};

async function scenario({ name, heapMb, streams }) {
  // Room for the retained objects plus what a major GC needs beside them.
  const oldSpaceMb = Math.max(512, heapMb * 3 + 512);
  const t0 = performance.now();
  const server = start(process.execPath, ['--expose-gc', `--max-old-space-size=${oldSpaceMb}`, '--inspect=127.0.0.1:0', 'bench/heapServer.js', '--heap-mb', String(heapMb)], PIPES);
  const { port } = await server.waitFor((e) => e.event === 'listening', 300000);
  const buildMs = performance.now() - t0;
  const ip = await inspectPort(server);
  // The streams open before the attach: the agent has to find and adopt each of them.
  const clientStreams = start(process.execPath, ['bench/manyStreams.js', String(port), String(streams)]);
  await clientStreams.waitFor((e) => e.event === 'ready', 180000);
  const load = start(process.execPath, ['bench/unaryLoad.js', String(port), String(LOAD_INTERVAL_MS)], PIPES);
  await load.waitFor((e) => e.event === 'ready');
  await sleep(1000); // connections up and the handlers optimized before anything is measured

  // The same server without an attach, after the same full GC: what the load alone costs.
  await ask(server, 'gc');
  await sleep(AFTER_GC_MS);
  await reset(server, load);
  await sleep(BASELINE_MS);
  const baseline = await read(server, load);

  // A full GC first, so the window does not inherit one the heap building had coming.
  const before = await ask(server, 'gc');
  await sleep(AFTER_GC_MS);
  await reset(server, load);
  const ta = performance.now();
  const attachStart = Date.now();
  const list = await run(process.execPath, [CLI, 'list', '--inspect', `127.0.0.1:${ip}`, '--json']);
  const attachMs = performance.now() - ta;
  await sleep(SETTLE_MS);
  const during = await read(server, load);
  const after = await ask(server, 'gc');

  let adopted = null;
  let listed = null;
  let error = null;
  if (list.err) {
    error = (list.stderr || String(list.err)).trim().split('\n').pop();
  } else {
    const snap = JSON.parse(list.stdout);
    listed = snap.streams.length;
    // Adopted calls are those the agent found running: no start time (README, Limits).
    adopted = snap.streams.filter((s) => s.method.endsWith('/Chat') && s.startedAt == null).length;
  }
  load.kill();
  clientStreams.kill();
  server.kill();
  return {
    name, heapMb, buildMs, openStreams: streams, adopted, listed, error,
    attachMs, windowMs: attachMs + SETTLE_MS, baselineMs: BASELINE_MS,
    stallMs: during.stallMs,
    // Each late tick as when its gap began, in ms after the CLI started, and how long it was.
    gaps: during.gaps.map(([end, ms]) => ({ atMs: end - ms - attachStart, ms })),
    eldMaxMs: during.eldMaxMs, calls: during.calls, failed: during.failed, codes: during.codes, maxLatencyMs: during.maxLatencyMs,
    slowestCallAtMs: during.slowestAt == null ? null : during.slowestAt - attachStart,
    baseline,
    heapBefore: before.heapUsed, heapAfter: after.heapUsed, rssBefore: before.rss, rssAfter: after.rss,
  };
}

export async function attachBench({ scenarios = SCENARIOS } = {}) {
  const results = [];
  for (const s of scenarios) results.push(await scenario(s));
  return { loadCallsPerSecond: 1000 / LOAD_INTERVAL_MS, scenarios: results };
}

export function printAttach(r) {
  console.log(`fresh attach (\`list --json\`, no agent in the process yet) of a grpc-js server under ${r.loadCallsPerSecond} unary calls/s with 1 s deadlines:`);
  const rows = [['scenario', 'heap', 'adopted', 'attach', 'stall (no attach)', 'calls', 'failed', 'max latency (no attach)', 'RSS before → after']];
  for (const s of r.scenarios) {
    rows.push([
      s.name,
      `${fmt(s.heapBefore / MiB, 0)} MiB`,
      s.error ? 'FAILED' : `${s.adopted}/${s.openStreams}`,
      `${fmt(s.attachMs, 0)} ms`,
      `${fmt(s.stallMs, 1)} (${fmt(s.baseline.stallMs, 1)}) ms`,
      String(s.calls),
      String(s.failed),
      `${fmt(s.maxLatencyMs, 1)} (${fmt(s.baseline.maxLatencyMs, 1)}) ms`,
      `${fmt(s.rssBefore / MiB, 0)} → ${fmt(s.rssAfter / MiB, 0)} MiB`,
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  for (const row of rows) console.log('  ' + row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
  for (const s of r.scenarios) if (s.error) console.log(`  ${s.name}: the attach failed: ${s.error}`);
  console.log('  gaps over 10 ms in the window, as start after the CLI started (it exited at the attach time): length; and when the slowest call started');
  for (const s of r.scenarios) {
    const gaps = s.gaps.map((g) => `${fmt(g.atMs, 0)}: ${fmt(g.ms, 1)} ms`).join(', ') || 'none';
    console.log(`    ${s.name}: ${gaps}; slowest call started at ${fmt(s.slowestCallAtMs, 0)} ms`);
  }
  console.log(`  stall: longest gap between two ticks of a 1 ms timer in the server, from just before the attach to ${SETTLE_MS} ms after the CLI exited; no attach: the same server, ${BASELINE_MS / 1000} s without one`);
  console.log(`  calls, failed, max latency: unary calls started in that window; heap and RSS after a full GC   (target: stall < 50 ms at every size, 0 failed calls)`);
}
