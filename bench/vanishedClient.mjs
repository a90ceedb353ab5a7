// When does a server notice a client that vanished (network cut, host gone: no FIN, no RST)?
// A real grpc-go server (the ingest fixture) and a real grpc-js server (test/fixtures/server.js),
// neither with gRPC keepalive, each with one client stream from a client in a network namespace of
// its own. The cut: a blackhole route in the client's namespace, so nothing it sends (its ACKs,
// its answers to TCP keepalive probes) reaches the servers, which see silence, as from a host that
// is gone. Measured: how long until each server's handler ends. Needs root (ip netns).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT, buildIngest, fmt, start } from './lib.mjs';

const NS = 'gsbench-vanish';
const HOST = '10.79.0.1';
const PEER = '10.79.0.2';
const WATCH_MS = 150_000;

const sh = (cmd) => spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });

function setUp() {
  tearDown();
  const steps = [
    `ip netns add ${NS}`,
    `ip link add gsbv0 type veth peer name gsbv1`,
    `ip link set gsbv1 netns ${NS}`,
    `ip addr add ${HOST}/24 dev gsbv0`,
    `ip link set gsbv0 up`,
    `ip netns exec ${NS} ip addr add ${PEER}/24 dev gsbv1`,
    `ip netns exec ${NS} ip link set gsbv1 up`,
    `ip netns exec ${NS} ip link set lo up`,
  ];
  for (const s of steps) {
    const r = sh(s);
    if (r.status !== 0) throw new Error(`${s}: ${r.stderr.trim()}`);
  }
}

function tearDown() {
  sh(`ip netns del ${NS} 2>/dev/null; ip link del gsbv0 2>/dev/null`);
}

const NODE_CLIENT = `
const grpc = require(${JSON.stringify(path.join(ROOT, 'node_modules', '@grpc', 'grpc-js'))});
const c = new grpc.Client(process.argv[1], grpc.credentials.createInsecure());
const call = c.makeClientStreamRequest('/demo.Ingest/Upload', (x) => x, (x) => x, () => {});
call.on('error', () => {});
call.write(Buffer.alloc(0), () => console.log(JSON.stringify({ event: 'sent' })));
setInterval(() => {}, 1 << 30);`;

export async function vanishedClientBench() {
  if (process.getuid?.() !== 0 || sh('command -v ip').status !== 0) return { skipped: 'needs root and ip (network namespaces)' };
  const bin = buildIngest('bench-vanish');
  setUp();
  const procs = [];
  try {
    const goServer = start(bin, ['server'], { env: { ...process.env, LISTEN: `${HOST}:0` } });
    procs.push(goServer);
    const nodeServer = start(process.execPath, [path.join(ROOT, 'test', 'fixtures', 'server.js')], { env: { ...process.env, BIND: `${HOST}:0` } });
    procs.push(nodeServer);
    const { port: goPort } = await goServer.waitFor((e) => e.event === 'listening');
    const { port: nodePort } = await nodeServer.waitFor((e) => e.event === 'listening');
    const goClient = start('ip', ['netns', 'exec', NS, bin, 'client', `${HOST}:${goPort}`, 'silent']);
    const nodeClient = start('ip', ['netns', 'exec', NS, process.execPath, '-e', NODE_CLIENT, `${HOST}:${nodePort}`]);
    procs.push(goClient, nodeClient);
    await goClient.waitFor((e) => e.event === 'sent');
    await nodeClient.waitFor((e) => e.event === 'sent');
    // The servers' side of each connection, as ss shows it (with its timers).
    const serverSide = (port) => sh('ss -tnio').stdout.split('\n').filter((l) => l.includes(`${HOST}:${port} `) && l.includes(PEER)).join('\n');
    const keepaliveTimer = /timer:\(keepalive/.test(serverSide(goPort));
    const nodeKeepaliveTimer = /timer:\(keepalive/.test(serverSide(nodePort));
    // The cut: the client's host sends nothing more to the servers.
    const cutAt = performance.now();
    const cut = sh(`ip netns exec ${NS} ip route add blackhole ${HOST}/32`);
    if (cut.status !== 0) throw new Error(`blackhole route: ${cut.stderr.trim()}`);
    const goEnded = await goServer.waitFor((e) => e.event === 'handler-returned', WATCH_MS).then((e) => ({ ms: performance.now() - cutAt, code: e.code }), () => null);
    // grpc-js: watched as long again, or to WATCH_MS.
    const nodeWatchMs = Math.max(60_000, (goEnded?.ms ?? WATCH_MS) * 2);
    const nodeEnded = await nodeServer.waitFor((e) => /cancel|error|end|close/i.test(e.event) && e.method !== undefined, nodeWatchMs).then((e) => ({ ms: performance.now() - cutAt, event: e.event }), () => null);
    const nodeStillOpen = /ESTAB/.test(serverSide(nodePort));
    return { goKeepaliveTimer: keepaliveTimer, nodeKeepaliveTimer, goEndedMs: goEnded?.ms ?? null, goCode: goEnded?.code ?? null, nodeEndedMs: nodeEnded?.ms ?? null, nodeWatchedMs: nodeWatchMs, nodeStillOpen };
  } finally {
    for (const p of procs) p.kill();
    tearDown();
  }
}

export function printVanishedClient(r) {
  console.log('\nA client that vanished (blackhole: no FIN, no RST), servers without gRPC keepalive');
  if (r.skipped) {
    console.log(`  skipped: ${r.skipped}`);
    return;
  }
  console.log(`  grpc-go: TCP keepalive timer on the accepted connection: ${r.goKeepaliveTimer ? 'yes' : 'no'}; the handler ended ${r.goEndedMs === null ? 'not within the watch' : `${fmt(r.goEndedMs / 1000, 1)} s after the cut (${r.goCode})`}`);
  console.log(`  grpc-js: TCP keepalive timer: ${r.nodeKeepaliveTimer ? 'yes' : 'no'}; the handler ${r.nodeEndedMs === null ? `had not ended ${fmt(r.nodeWatchedMs / 1000, 0)} s after the cut (connection ${r.nodeStillOpen ? 'still established' : 'gone'})` : `ended ${fmt(r.nodeEndedMs / 1000, 1)} s after the cut`}`);
}
