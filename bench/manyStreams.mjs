// 10,000 open streams: time of `grpc-streams list --json` end to end, and agent memory per stream.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AGENT, CLI, fmt, inspectPort, median, require, ROOT, run, start } from './lib.mjs';

const { CdpConnection } = require('../out/src/inspector/cdpConnection.js');
const { discoverTarget } = require('../out/src/inspector/targetDiscovery.js');

async function evaluate(port, expression) {
  const t = await discoverTarget({ host: '127.0.0.1', port });
  const cdp = await CdpConnection.connect(t.webSocketUrl, { requestTimeoutMs: 120000 });
  try {
    const r = await cdp.send('Runtime.evaluate', { expression, returnByValue: true, includeCommandLineAPI: true, awaitPromise: true }, 120000);
    return r.result.value;
  } finally {
    cdp.close();
  }
}

export async function manyStreams({ streams = 10000 } = {}) {
  const server = start(process.execPath, ['--expose-gc', '--inspect=127.0.0.1:0', 'bench/echoServer.js']);
  const { port } = await server.waitFor((e) => e.event === 'listening');
  const ip = await inspectPort(server);
  const client = start(process.execPath, ['bench/manyStreams.js', String(port), String(streams)]);
  await client.waitFor((e) => e.event === 'ready', 180000);
  const heap = `(() => { gc(); gc(); return process.memoryUsage().heapUsed; })()`;
  const before = await evaluate(ip, heap);
  const listArgs = [CLI, 'list', '--inspect', `127.0.0.1:${ip}`, '--json'];
  const t0 = performance.now();
  const first = await run(process.execPath, listArgs);
  const firstMs = performance.now() - t0;
  if (first.err) throw new Error(first.stderr);
  const listed = JSON.parse(first.stdout).streams.length;
  const after = await evaluate(ip, heap);
  // As a user runs it: `grpc-streams list --json > streams.json` (what hyperfine times too), and
  // into a reading process (a Node parent collecting the output). Each also without the
  // NODE_EXTRA_CA_CERTS this machine sets: Node parses that CA bundle at every start.
  const withoutCa = { ...process.env };
  delete withoutCa.NODE_EXTRA_CA_CERTS;
  const timed = async (fn) => {
    const times = [];
    for (let i = 0; i < 7; i++) times.push(await fn());
    return median(times);
  };
  const out = path.join(os.tmpdir(), `grpc-streams-bench-${process.pid}.json`);
  const toFile = (env) => timed(async () => {
    const fd = fs.openSync(out, 'w');
    const t = performance.now();
    const code = await new Promise((resolve) => spawn(process.execPath, listArgs, { cwd: ROOT, env, stdio: ['ignore', fd, 'inherit'] }).on('exit', resolve));
    const ms = performance.now() - t;
    fs.closeSync(fd);
    if (code !== 0) throw new Error(`list --json exited with ${code}`);
    if (JSON.parse(fs.readFileSync(out, 'utf8')).streams.length !== listed) throw new Error('list --json wrote a different number of streams');
    return ms;
  });
  const piped = (env) => timed(async () => {
    const t = performance.now();
    const r = await run(process.execPath, listArgs, { env });
    if (r.err) throw new Error(r.stderr);
    return performance.now() - t;
  });
  const nodeStart = (env) => timed(async () => {
    const t = performance.now();
    await run(process.execPath, ['-e', '0'], { env });
    return performance.now() - t;
  });
  const caSet = !!process.env.NODE_EXTRA_CA_CERTS;
  const list = { caSet, fileMs: await toFile(process.env), pipedMs: await piped(process.env), nodeStartMs: await nodeStart(process.env) };
  if (caSet) Object.assign(list, { fileNoCaMs: await toFile(withoutCa), pipedNoCaMs: await piped(withoutCa), nodeStartNoCaMs: await nodeStart(withoutCa) });
  fs.rmSync(out, { force: true });
  const agentSize = await evaluate(ip, `(() => { gc(); return process.memoryUsage().heapUsed; })()`);
  client.kill();
  server.kill();
  return { streams: listed, firstListMs: firstMs, ...list, bytesPerStream: (after - before) / streams, heapBefore: before, heapAfter: agentSize };
}

/** Heap of a preloaded server after 10,000 and after 100,000 completed calls: flat means no leak. */
export async function memoryFlat({ first = 10000, total = 100000 } = {}) {
  const server = start(process.execPath, ['--expose-gc', '--inspect=127.0.0.1:0', '--require', AGENT, 'test/fixtures/server.js']);
  const { port } = await server.waitFor((e) => e.event === 'listening');
  const ip = await inspectPort(server);
  const heap = `(() => { gc(); gc(); return process.memoryUsage().heapUsed; })()`;
  const c1 = start(process.execPath, ['bench/unaryLoop.js', String(port), String(first)]);
  await c1.waitFor((e) => e.done === first, 300000);
  const at10k = await evaluate(ip, heap);
  const c2 = start(process.execPath, ['bench/unaryLoop.js', String(port), String(total - first)]);
  await c2.waitFor((e) => e.done === total - first, 600000);
  const at100k = await evaluate(ip, heap);
  const live = await evaluate(ip, `globalThis[Symbol.for('grpc-stream-debugger.agent')].snapshot().streams.length`);
  server.kill();
  return { first, total, heapAtFirst: at10k, heapAtTotal: at100k, live };
}

export function printMemoryFlat(r) {
  console.log(`agent preloaded, ${r.total} unary calls: heap ${fmt(r.heapAtFirst / 1048576, 2)} MiB after ${r.first}, ${fmt(r.heapAtTotal / 1048576, 2)} MiB after ${r.total} (ratio ${fmt(r.heapAtTotal / r.heapAtFirst, 3)}); ${r.live} calls left in the live set`);
}

export function printManyStreams(r) {
  console.log(`list --json with ${r.streams} open streams, end to end, median of 7 (the first list, which installs the agent and adopts every call: ${fmt(r.firstListMs, 0)} ms):`);
  if (r.caSet) {
    console.log(`  written to a file: ${fmt(r.fileNoCaMs, 0)} ms; into a reading process: ${fmt(r.pipedNoCaMs, 0)} ms; a bare \`node -e 0\`: ${fmt(r.nodeStartNoCaMs, 0)} ms   (target < 150 ms)`);
    console.log(`  the same with this machine's NODE_EXTRA_CA_CERTS, which every Node start parses: ${fmt(r.fileMs, 0)} ms; ${fmt(r.pipedMs, 0)} ms; \`node -e 0\`: ${fmt(r.nodeStartMs, 0)} ms`);
  } else {
    console.log(`  written to a file: ${fmt(r.fileMs, 0)} ms; into a reading process: ${fmt(r.pipedMs, 0)} ms; a bare \`node -e 0\`: ${fmt(r.nodeStartMs, 0)} ms   (target < 150 ms)`);
  }
  console.log(`agent memory per open stream: ${fmt(r.bytesPerStream, 0)} bytes (heap after attach minus before, / ${r.streams})   (target < 1024)`);
}
