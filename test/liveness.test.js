// Telling a vanished client from a silent one: HTTP/2 PINGs from inside a real grpc-js server,
// writers whose client stopped reading, and cancelling exactly the dead streams.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer, startClient, cli, until, killAll, evalIn } = require('./helpers/procs');
const { lib, AGENT_PATH } = require('./helpers/lib');
const { AgentSession } = lib('inspector/agentSession.js');

test.after(killAll);

const listProbe = async (server, extra = []) => {
  const r = await cli(['list', '--inspect', `127.0.0.1:${server.inspectPort}`, '--json', '--probe', '--probe-timeout', '1s', ...extra]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
};


test('a silent but live client is alive; a frozen one is dead within the probe timeout, suspect for it, and alive again after SIGCONT', async () => {
  const server = await startServer();
  const quiet = await startClient(server.port, 'upload');
  const frozen = await startClient(server.port, 'upload');
  try {
    const before = await listProbe(server, ['--idle-threshold', '1h']);
    assert.equal(before.streams.length, 2);
    for (const s of before.streams) {
      assert.equal(s.liveness, 'alive');
      assert.equal(typeof s.rttMs, 'number');
      assert.ok(s.livenessCheckedAt > 0);
      assert.equal(s.suspect, false, 'alive and silent is no leak by itself');
      assert.match(s.connectionId, /^k/);
    }
    assert.notEqual(before.streams[0].connectionId, before.streams[1].connectionId, 'two clients, two connections');
    frozen.freeze();
    const during = await listProbe(server, ['--idle-threshold', '1h']);
    const dead = during.streams.filter((s) => s.liveness === 'dead');
    assert.equal(dead.length, 1);
    assert.equal(dead[0].suspect, true);
    assert.equal(dead[0].reasons[0], 'the client did not answer a PING: it is gone');
    assert.equal(during.streams.find((s) => s !== dead[0]).liveness, 'alive');
    frozen.thaw();
    const after = await listProbe(server, ['--idle-threshold', '1h']);
    assert.ok(after.streams.every((s) => s.liveness === 'alive'), JSON.stringify(after.streams.map((s) => s.liveness)));
    // Text output names the verdicts too.
    frozen.freeze();
    const text = await cli(['list', '--inspect', `127.0.0.1:${server.inspectPort}`, '--probe', '--probe-timeout', '1s']);
    assert.match(text.stdout, /DEAD/);
    assert.match(text.stdout, /alive \d+\.\dms/);
  } finally {
    frozen.kill();
    quiet.kill();
    server.kill();
  }
});

test('a server stream whose client stopped reading shows its queue growing and is suspect for it', async () => {
  const server = await startServer();
  // Attached before the call starts, as the extension usually is: the agent sees its first write.
  const watching = await AgentSession.attach({ address: { host: '127.0.0.1', port: server.inspectPort }, agentPath: AGENT_PATH, subscribe: true });
  const client = await startClient(server.port, 'flood');
  try {
    await server.waitFor((e) => e.event === 'flooding');
    client.freeze();
    const list = async () => JSON.parse((await cli(['list', '--inspect', `127.0.0.1:${server.inspectPort}`, '--json', '--idle-threshold', '1h'])).stdout);
    const first = await until(async () => {
      const j = await list();
      const s = j.streams.find((x) => x.method.endsWith('/Watch'));
      return s && s.queuedBytes > 0 && s;
    }, 10000, 'bytes queued');
    const later = await until(async () => {
      const j = await list();
      const s = j.streams.find((x) => x.method.endsWith('/Watch'));
      return s && s.queuedBytes > first.queuedBytes && s.queuedBytes >= 1024 * 1024 && s;
    }, 15000, 'the queue to grow past 1 MB');
    assert.equal(later.suspect, true);
    assert.match(later.reasons[0], /^the client stopped reading: \d+\.\d MB queued$/);
    // Asked with a PING, the frozen client is gone as well: both are said.
    const probed = (await listProbe(server, ['--idle-threshold', '1h'])).streams.find((x) => x.method.endsWith('/Watch'));
    assert.equal(probed.reasons[0], 'the client did not answer a PING: it is gone');
    assert.match(probed.reasons[1], /^it stopped reading: \d+\.\d MB queued$/);
  } finally {
    await watching.close();
    client.kill();
    server.kill();
  }
});

test('cancel --dead ends exactly the streams of clients that do not answer; the live ones keep running', async () => {
  const server = await startServer();
  const live = await startClient(server.port, 'upload,chat');
  const gone = await startClient(server.port, 'upload,chat');
  try {
    gone.freeze();
    const r = await cli(['cancel', '--dead', '--inspect', `127.0.0.1:${server.inspectPort}`, '--yes', '--probe-timeout', '1s']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Cancelled 2 dead streams/);
    await until(() => server.events.filter((e) => e.event === 'cancelled').length === 2, 10000, 'two handlers saw cancelled');
    const j = await listProbe(server, ['--idle-threshold', '1h']);
    assert.equal(j.streams.length, 2, 'the live client\'s streams stay');
    assert.ok(j.streams.every((s) => s.liveness === 'alive'));
    const none = await cli(['cancel', '--dead', '--inspect', `127.0.0.1:${server.inspectPort}`, '--yes', '--probe-timeout', '1s']);
    assert.match(none.stdout, /No dead streams/);
    const both = await cli(['cancel', 'x-y-1', '--dead', '--inspect', `127.0.0.1:${server.inspectPort}`]);
    assert.equal(both.code, 2);
  } finally {
    gone.kill();
    live.kill();
    server.kill();
  }
});

test('probing keeps its limits: nothing without a subscriber, then at most one PING per connection per interval', async () => {
  const server = await startServer();
  const client = await startClient(server.port, 'upload');
  const sent = `globalThis[Symbol.for('grpc-stream-debugger.agent')].connections.pingsSent`;
  const plain = await AgentSession.attach({ address: { host: '127.0.0.1', port: server.inspectPort }, agentPath: AGENT_PATH, probe: { idleMs: 1000, minIntervalMs: 1000 } });
  await plain.close();
  const session = await AgentSession.attach({ address: { host: '127.0.0.1', port: server.inspectPort }, agentPath: AGENT_PATH, subscribe: true, probe: { idleMs: 1000, minIntervalMs: 1000 } });
  try {
    assert.equal(await evalIn(server.inspectPort, sent), 0, 'no PING while nobody was subscribed');
    const t0 = Date.now();
    await until(async () => (await evalIn(server.inspectPort, sent)) >= 3, 15000, 'three PINGs');
    assert.ok(Date.now() - t0 >= 2000, 'the third PING came no sooner than two intervals after the first');
  } finally {
    await session.close();
  }
  const stopped = await evalIn(server.inspectPort, sent);
  // The probe timer goes with the last subscriber: ask twice, a second apart is not needed, the
  // agent reports whether its timer is still set.
  assert.equal(await evalIn(server.inspectPort, `globalThis[Symbol.for('grpc-stream-debugger.agent')].probeTimer`), null, 'no probing after the subscriber left');
  assert.ok(stopped >= 3);
  client.kill();
  server.kill();
});
