// 10,000 open streams: time of `grpc-streams list --json` end to end, and agent memory per stream.
import { AGENT, CLI, fmt, inspectPort, median, require, run, start } from './lib.mjs';

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
  const t0 = performance.now();
  const first = await run(process.execPath, [CLI, 'list', '--inspect', `127.0.0.1:${ip}`, '--json']);
  const firstMs = performance.now() - t0;
  if (first.err) throw new Error(first.stderr);
  const listed = JSON.parse(first.stdout).streams.length;
  const after = await evaluate(ip, heap);
  const warm = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const r = await run(process.execPath, [CLI, 'list', '--inspect', `127.0.0.1:${ip}`, '--json']);
    warm.push(performance.now() - t);
    if (r.err) throw new Error(r.stderr);
  }
  const nodeStart = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await run(process.execPath, ['-e', '0']);
    nodeStart.push(performance.now() - t);
  }
  const agentSize = await evaluate(ip, `(() => { gc(); return process.memoryUsage().heapUsed; })()`);
  client.kill();
  server.kill();
  return { streams: listed, firstListMs: firstMs, warmListMs: median(warm), nodeStartMs: median(nodeStart), bytesPerStream: (after - before) / streams, heapBefore: before, heapAfter: agentSize };
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
  console.log(`list --json with ${r.streams} open streams: ${fmt(r.warmListMs, 0)} ms end to end (median of 5; the first, which installs the agent and adopts every call: ${fmt(r.firstListMs, 0)} ms; a bare \`node -e 0\` takes ${fmt(r.nodeStartMs, 0)} ms here)   (target < 150 ms)`);
  console.log(`agent memory per open stream: ${fmt(r.bytesPerStream, 0)} bytes (heap after attach minus before, / ${r.streams})   (target < 1024)`);
}
