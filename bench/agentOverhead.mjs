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

// One idle stream on the echo client's connection in every callgrind run: a stream the probing
// variant's agent finds silent past idleMs, so it PINGs that (busy) connection. It sends one
// message at the start; the difference of two run lengths cancels it, as every fixed cost.
const IDLE_STREAMS = 1;
const PROBING = { idleMs: 1000, minIntervalMs: 1000 };
const SUBSCRIBED = ['subscribed', 'probing'];

/**
 * Instructions of a whole server run that echoes `messages` messages. Variants:
 *   'without'    no agent
 *   'preloaded'  agent with --require (tracking every call), nobody subscribed: probing is off
 *   'subscribed' the same, plus the inspector (--inspect) and a subscriber attached before the
 *                client starts, as VS Code is, with probing turned off (probe { enabled: false }):
 *                the control that tells the probing's share from the subscriber's
 *   'probing'    the same, plus the inspector (--inspect) and a subscriber attached before the
 *                client starts, as VS Code is, with probe { idleMs: 1000, minIntervalMs: 1000 }:
 *                pushed deltas every 500 ms, a heartbeat every 2 s, the probe timer every second
 *                and a PING on the echo connection whenever its idle stream has been silent for
 *                a second. The attach happens before the counted messages and is the same for both
 *                run lengths, so it cancels; what the subscriber and the probe timer cost per
 *                second is counted, for as many seconds as the run lasts under callgrind (printed:
 *                far longer than natively), so per message it is overstated, not hidden.
 */
export async function callgrind(variant, messages) {
  const agentArgs = variant === 'without' ? [] : ['--require', AGENT];
  const inspectArgs = SUBSCRIBED.includes(variant) ? ['--inspect=127.0.0.1:0'] : [];
  const args = ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, '--single-threaded', ...inspectArgs, ...agentArgs, 'bench/echoServer.js', '--count', String(messages)];
  const server = start('valgrind', args);
  const { port } = await server.waitFor((e) => e.event === 'listening', 300000);
  let session = null;
  let deltas = 0;
  const checks = new Set(); // distinct liveness checks the subscriber was told of
  if (SUBSCRIBED.includes(variant)) {
    // Everything is many times slower under callgrind: generous timeouts for the attach's requests.
    session = await AgentSession.attach({ address: { host: '127.0.0.1', port: await inspectPort(server) }, agentPath: AGENT, subscribe: true, probe: variant === 'probing' ? PROBING : { enabled: false }, timeoutMs: 120000 });
    session.onDelta((d) => {
      deltas++;
      for (const u of d.upserts) if (u.livenessCheckedAt != null) checks.add(`${u.connectionId} ${u.livenessCheckedAt} ${u.liveness}`);
    });
  }
  const t0 = performance.now();
  start(process.execPath, ['bench/echoClient.js', String(port), String(messages + 8), '8', String(IDLE_STREAMS)]);
  // With a debugger client connected, Node waits at exit for it to go ("Waiting for the debugger
  // to disconnect"): the subscriber closes when the server says it is done.
  if (session) await server.waitFor((e) => e.event === 'done', 3600000);
  else await server.exited;
  const seconds = (performance.now() - t0) / 1000;
  await session?.close();
  await server.exited;
  const m = /Collected\s*:\s*(\d+)/.exec(server.stderr);
  if (!m) throw new Error('callgrind gave no total: ' + server.stderr.slice(-300));
  const done = server.events.find((e) => e.event === 'done');
  const alive = [...checks].filter((c) => c.endsWith(' alive')).length;
  return { instructions: Number(m[1]), seconds, pingsSent: done ? done.pingsSent : null, deltas, checks: checks.size, alive };
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
    const runs = {};
    for (const variant of ['without', 'preloaded', ...SUBSCRIBED]) runs[variant] = { a: await callgrind(variant, a), b: await callgrind(variant, b) };
    const perMsg = (v) => (runs[v].b.instructions - runs[v].a.instructions) / (b - a);
    const perMsgBase = perMsg('without');
    const perMsgAgent = perMsg('preloaded');
    const perMsgProbing = perMsg('probing');
    const perMsgSubscribed = perMsg('subscribed');
    // What a subscribed variant adds to the preloaded agent, as instructions per second of run:
    // the costs that come with time (deltas, heartbeats, probe timer, PINGs), not with messages.
    // Under callgrind a run lasts far longer than natively, so these weigh far more per message
    // there; at the throughput measured natively with a subscriber they would weigh this much.
    const perSecond = (v) => {
      const [x, y] = [runs[v].a, runs[v].b];
      return (y.instructions - x.instructions - perMsgAgent * (b - a)) / (y.seconds - x.seconds);
    };
    const nativeRatio = (v) => perMsgBase / (perMsgAgent + perSecond(v) / result.throughputWith);
    Object.assign(result, {
      instrPerMsgSubscribed: perMsgSubscribed, instrRatioSubscribed: perMsgBase / perMsgSubscribed,
      instrPerSecondSubscribed: perSecond('subscribed'), instrPerSecondProbing: perSecond('probing'),
      nativeEstimateRatioSubscribed: nativeRatio('subscribed'), nativeEstimateRatioProbing: nativeRatio('probing'),
      instrPerMsgWithout: perMsgBase, instrPerMsgWith: perMsgAgent, instrRatio: perMsgBase / perMsgAgent,
      instrPerMsgProbing: perMsgProbing, instrRatioProbing: perMsgBase / perMsgProbing,
      // Each run: its length (from the client's start to the server's exit), and for the probing
      // variant the PINGs the agent sent, the deltas the subscriber got and the liveness checks
      // (distinct connection and time) they reported, of which answered (alive).
      callgrindRuns: Object.fromEntries(Object.entries(runs).map(([v, x]) => [v, [{ messages: a, ...x.a }, { messages: b, ...x.b }]])),
    });
  }
  return result;
}

export function printAgentOverhead(r) {
  console.log(`bidi echo throughput: ${fmt(r.throughputWithout, 0)} msg/s without, ${fmt(r.throughputWith, 0)} msg/s with the agent attached`);
  console.log(`  ratio (median of alternating runs): ${fmt(r.throughputRatio, 3)}   per run: ${r.perRun.map((x) => fmt(x, 3)).join(' ')}   (target >= 0.97)`);
  if (r.instrRatio) {
    console.log(`  callgrind: ${fmt(r.instrPerMsgWithout, 0)} instructions/message without, ${fmt(r.instrPerMsgWith, 0)} with the agent (preloaded): ratio ${fmt(r.instrRatio, 3)}`);
    if (r.instrRatioProbing) {
      console.log(`  callgrind: ${fmt(r.instrPerMsgSubscribed, 0)} instructions/message with the agent preloaded, subscribed, probing off: ratio ${fmt(r.instrRatioSubscribed, 3)}`);
      console.log(`  callgrind: ${fmt(r.instrPerMsgProbing, 0)} instructions/message with the agent preloaded, subscribed, probing on: ratio ${fmt(r.instrRatioProbing, 3)}   (target >= 0.97)`);
      for (const [v, runs] of Object.entries(r.callgrindRuns)) {
        const each = runs.map((x) => `${x.messages} msgs ${fmt(x.seconds, 0)} s` + (v === 'probing' ? ` (${x.pingsSent} PINGs, ${x.alive}/${x.checks} checks alive, ${x.deltas} deltas)` : '')).join(', ');
        console.log(`    ${v}: ${each}`);
      }
      console.log(`    beyond the preloaded agent, per second of run: ${fmt(r.instrPerSecondSubscribed / 1e6, 2)} M instructions subscribed, ${fmt(r.instrPerSecondProbing / 1e6, 2)} M probing on`);
      console.log(`    (callgrind runs take far longer per message than native ones: at the native ${fmt(r.throughputWith, 0)} msg/s above, that would be a ratio of ${fmt(r.nativeEstimateRatioSubscribed, 3)} subscribed, ${fmt(r.nativeEstimateRatioProbing, 3)} probing on: an estimate, not a count)`);
    }
  }
}
