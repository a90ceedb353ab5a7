// What probing every connection costs a grpc-js server with 1,000 client connections, each with
// one open, silent bidi stream: `probeAll` (what `list --probe` and "probe now" ask) with the
// default cap of 100 PINGs a second and with the cap raised to 1,000. Per run: the wall time of
// the request, the PINGs the agent sent (its own counter) and how many a second that makes, how
// many connections came back alive, and the CPU time the server spent meanwhile
// (process.cpuUsage read through a second inspector session just before and after), against the
// same server left idle for a while.
// The probing sessions do not subscribe (as `list --probe`): no deltas, no heartbeat in the window.
import { setTimeout as sleep } from 'node:timers/promises';
import { AGENT, fmt, inspectPort, median, require, start } from './lib.mjs';

const { AgentSession } = require('../out/src/inspector/agentSession.js');
const { CdpConnection } = require('../out/src/inspector/cdpConnection.js');
const { discoverTarget } = require('../out/src/inspector/targetDiscovery.js');

const CONNECTIONS = 1000;
const PROBE_TIMEOUT_MS = 5000;
const IDLE_MS = 3000;
const CAPS = [null, 1000]; // null: the agent's default (100 a second)

// One reading of the server: its CPU time, the agent's PING counter and open connections, and the
// TCP sockets it holds (one per client connection: the check that grpc-js did not share them).
const SAMPLE = `(() => {
  const a = globalThis[Symbol.for('grpc-stream-debugger.agent')];
  const u = process.cpuUsage();
  const sockets = process._getActiveHandles().filter((h) => h && h.constructor && h.constructor.name === 'Socket' && typeof h.remotePort === 'number').length;
  return { user: u.user, system: u.system, pingsSent: a ? a.connections.pingsSent : null, open: a ? a.connections.open.length : null, maxPerSecond: a ? a.connections.settings.maxPerSecond : null, sockets };
})()`;

async function sample(cdp) {
  const r = await cdp.send('Runtime.evaluate', { expression: SAMPLE, returnByValue: true, silent: true });
  if (r.exceptionDetails) throw new Error('sample failed: ' + (r.exceptionDetails.exception?.description ?? r.exceptionDetails.text));
  return r.result.value;
}

const cpuMs = (a, b) => ({ user: (b.user - a.user) / 1000, system: (b.system - a.system) / 1000, total: (b.user + b.system - a.user - a.system) / 1000 });

async function probeRun(address, cdp, cap) {
  const session = await AgentSession.attach({ address, agentPath: AGENT, ...(cap ? { probe: { maxPerSecond: cap } } : {}) });
  try {
    const before = await sample(cdp);
    const t0 = performance.now();
    const probed = await session.probeAll(PROBE_TIMEOUT_MS);
    const wallMs = performance.now() - t0;
    const after = await sample(cdp);
    const snap = await session.refresh();
    const chats = snap.streams.filter((s) => s.method.endsWith('/Chat'));
    const count = (l) => chats.filter((s) => s.liveness === l).length;
    const rtts = chats.map((s) => s.rttMs).filter((x) => typeof x === 'number');
    const pings = after.pingsSent - before.pingsSent;
    const cpu = cpuMs(before, after);
    return {
      cap: before.maxPerSecond, probed, wallMs, pings, pingsPerSecond: pings / (wallMs / 1000),
      streams: chats.length, connections: new Set(chats.map((s) => s.connectionId)).size,
      alive: count('alive'), dead: count('dead'), unknown: count('unknown'),
      rttMedianMs: rtts.length ? median(rtts) : null, rttMaxMs: rtts.length ? Math.max(...rtts) : null,
      cpuMs: cpu.total, cpuUserMs: cpu.user, cpuSystemMs: cpu.system, cpuUsPerPing: pings ? (cpu.total * 1000) / pings : null,
    };
  } finally {
    await session.close();
  }
}

export async function probeBench({ connections = CONNECTIONS } = {}) {
  const server = start(process.execPath, ['--inspect=127.0.0.1:0', 'bench/echoServer.js']);
  const { port } = await server.waitFor((e) => e.event === 'listening');
  const address = { host: '127.0.0.1', port: await inspectPort(server) };
  const clients = start(process.execPath, ['bench/manyConnections.js', String(port), String(connections)]);
  await clients.waitFor((e) => e.event === 'ready', 180000);
  const cdp = await CdpConnection.connect((await discoverTarget(address)).webSocketUrl);
  try {
    // The first attach installs the agent and adopts the 1,000 calls in flight; not measured.
    await (await AgentSession.attach({ address, agentPath: AGENT })).close();
    await sleep(1000);
    const s0 = await sample(cdp);
    await sleep(IDLE_MS);
    const s1 = await sample(cdp);
    const idle = { ms: IDLE_MS, cpuMs: cpuMs(s0, s1).total };
    const runs = [];
    for (const cap of CAPS) {
      runs.push(await probeRun(address, cdp, cap));
      await sleep(1500); // the next run starts in a fresh second of the cap
    }
    return { clientConnections: connections, serverSockets: s0.sockets, agentConnections: s0.open, idle, runs };
  } finally {
    cdp.close();
    clients.kill();
    server.kill();
  }
}

export function printProbe(r) {
  console.log(`probeAll(${PROBE_TIMEOUT_MS}) of a grpc-js server with ${r.clientConnections} client connections, one open silent bidi stream each`);
  console.log(`  (server sockets: ${r.serverSockets}, connections the agent tracks: ${r.agentConnections}):`);
  const idlePerMs = r.idle.cpuMs / r.idle.ms;
  const rows = [['cap (PINGs/s)', 'wall', 'PINGs sent', 'PINGs/s', 'alive / dead / unknown', 'RTT median / max', 'server CPU', 'above idle', 'per PING']];
  for (const x of r.runs) {
    rows.push([
      String(x.cap),
      `${fmt(x.wallMs, 0)} ms`,
      `${x.pings} (${x.probed} probed)`,
      fmt(x.pingsPerSecond, 0),
      `${x.alive} / ${x.dead} / ${x.unknown} of ${x.streams}`,
      x.rttMedianMs == null ? '-' : `${fmt(x.rttMedianMs, 2)} / ${fmt(x.rttMaxMs, 2)} ms`,
      `${fmt(x.cpuMs, 1)} ms (user ${fmt(x.cpuUserMs, 1)}, sys ${fmt(x.cpuSystemMs, 1)})`,
      `${fmt(x.cpuMs - idlePerMs * x.wallMs, 1)} ms`,
      x.cpuUsPerPing == null ? '-' : `${fmt(x.cpuUsPerPing, 0)} µs`,
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  for (const row of rows) console.log('  ' + row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
  console.log(`  idle, no probe: ${fmt(r.idle.cpuMs, 1)} ms of server CPU in ${r.idle.ms / 1000} s (${fmt(r.idle.cpuMs / (r.idle.ms / 1000), 2)} ms/s)`);
  console.log('  wall: the probeAll request, from the bench (one inspector round trip included); PINGs/s = PINGs sent / wall');
  console.log('  (the cap counts PINGs per 1 s window from the first sent, so N PINGs take about ceil(N / cap) - 1 s plus the last answers)');
  console.log('  server CPU: process.cpuUsage() in the server just before and after the request (both readings through a second inspector session);');
  console.log('  above idle: minus the idle rate times the wall time; per PING: server CPU / PINGs sent');
  console.log('  RTT: what Node measured per PING; a burst of 1,000 sent in one turn of the loop waits for the whole burst to be written and its acks read');
}
