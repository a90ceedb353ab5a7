// Agent overhead on a bidi echo server: wall-clock throughput in alternating runs (agent attached
// through the inspector and subscribed, as VS Code does, against the same server without), and
// instructions per message under callgrind (repeatable on a noisy machine).
import { AGENT, fmt, inspectPort, median, require, start } from './lib.mjs';

const { AgentSession } = require('../out/src/inspector/agentSession.js');

async function throughputRun(withAgent, messages) {
  const server = start(process.execPath, ['--inspect=127.0.0.1:0', 'bench/echoServer.js']);
  const { port } = await server.waitFor((e) => e.event === 'listening');
  let session = null;
  if (withAgent) session = await AgentSession.attach({ address: { host: '127.0.0.1', port: await inspectPort(server) }, agentPath: AGENT, subscribe: true });
  const client = start(process.execPath, ['bench/echoClient.js', String(port), String(messages), '8']);
  const r = await client.waitFor((e) => 'ms' in e);
  session?.close();
  server.kill();
  return messages / (r.ms / 1000);
}

async function callgrind(withAgent, messages) {
  const args = ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, '--single-threaded', ...(withAgent ? ['--require', AGENT] : []), 'bench/echoServer.js', '--count', String(messages)];
  const server = start('valgrind', args);
  const { port } = await server.waitFor((e) => e.event === 'listening', 300000);
  start(process.execPath, ['bench/echoClient.js', String(port), String(messages + 8), '8']);
  await server.exited;
  const m = /Collected\s*:\s*(\d+)/.exec(server.stderr);
  if (!m) throw new Error('callgrind gave no total: ' + server.stderr.slice(-300));
  return Number(m[1]);
}

export async function agentOverhead({ rounds = 5, messages = 40000, callgrindSizes = [2000, 16000], skipCallgrind = false } = {}) {
  const without = [];
  const withA = [];
  await throughputRun(false, 5000); // warm the disk cache
  for (let i = 0; i < rounds; i++) {
    without.push(await throughputRun(false, messages));
    withA.push(await throughputRun(true, messages));
  }
  const result = {
    throughputWithout: median(without),
    throughputWith: median(withA),
    throughputRatio: median(withA) / median(without),
    perRun: without.map((w, i) => withA[i] / w),
  };
  if (!skipCallgrind) {
    const [a, b] = callgrindSizes;
    const base = { a: await callgrind(false, a), b: await callgrind(false, b) };
    const agent = { a: await callgrind(true, a), b: await callgrind(true, b) };
    const perMsgBase = (base.b - base.a) / (b - a);
    const perMsgAgent = (agent.b - agent.a) / (b - a);
    Object.assign(result, { instrPerMsgWithout: perMsgBase, instrPerMsgWith: perMsgAgent, instrRatio: perMsgBase / perMsgAgent });
  }
  return result;
}

export function printAgentOverhead(r) {
  console.log(`bidi echo throughput: ${fmt(r.throughputWithout, 0)} msg/s without, ${fmt(r.throughputWith, 0)} msg/s with the agent attached`);
  console.log(`  ratio (median of alternating runs): ${fmt(r.throughputRatio, 3)}   per run: ${r.perRun.map((x) => fmt(x, 3)).join(' ')}   (target >= 0.97)`);
  if (r.instrRatio) console.log(`  callgrind: ${fmt(r.instrPerMsgWithout, 0)} instructions/message without, ${fmt(r.instrPerMsgWith, 0)} with the agent (preloaded): ratio ${fmt(r.instrRatio, 3)}`);
}
