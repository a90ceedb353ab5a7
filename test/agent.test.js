// The agent and the inspector client against real grpc-js servers and clients in child processes.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer, startClient, startPlain, sleep, until, killAll, evalIn } = require('./helpers/procs');
const { lib, AGENT_PATH } = require('./helpers/lib');
const { AgentSession } = lib('inspector/agentSession.js');
const { StreamStore } = lib('model/streamStore.js');
const { toListJson } = lib('model/listJson.js');

const attach = (port, extra = {}) => AgentSession.attach({ address: { host: '127.0.0.1', port }, agentPath: AGENT_PATH, ...extra });
const byMethod = (streams, name) => streams.filter((s) => s.method === `/demo.Ingest/${name}`);


test.after(killAll);

test('every kind of call is tracked: adopted ones at attach, new ones from their start', async () => {
  const server = await startServer();
  const before = await startClient(server.port, 'upload,chat,watch,get');
  const session = await attach(server.inspectPort, { subscribe: true, flushMs: 100 });
  try {
    const snap = session.initialSnapshot;
    assert.equal(snap.servers.length, 1);
    assert.deepEqual(snap.servers[0].methods.map((m) => m.kind).sort(), ['bidi', 'client_stream', 'server_stream', 'unary']);
    assert.equal(snap.servers[0].addresses[0], `127.0.0.1:${server.port}`);
    assert.deepEqual(snap.servers[0].keepalive, { timeMs: null, timeoutMs: null, maxConnectionIdleMs: null, maxConnectionAgeMs: null });
    const kinds = Object.fromEntries(snap.streams.map((s) => [s.method.split('/').pop(), s.kind]));
    assert.deepEqual(kinds, { Upload: 'client_stream', Chat: 'bidi', Watch: 'server_stream', Get: 'unary' });
    for (const s of snap.streams) {
      assert.equal(s.startedAt, null, 'a call adopted at attach has no known start');
      assert.equal(s.received, 0, 'counters of adopted calls start at attach');
      assert.match(s.peer, /^127\.0\.0\.1:\d+$/);
      assert.equal(s.serverId, 's1');
    }
    assert.equal(byMethod(snap.streams, 'Upload')[0].state, 'active');
    assert.equal(byMethod(snap.streams, 'Watch')[0].state, 'half_closed');
    // Go to Handler: where the Upload handler is defined (through addService's bound function).
    const loc = await session.handlerLocation('s1', '/demo.Ingest/Upload');
    assert.match(loc.url, /^file:\/\/.*test\/fixtures\/server\.js$/);
    const fixture = require('node:fs').readFileSync(require('node:path').join(__dirname, 'fixtures', 'server.js'), 'utf8').split('\n');
    assert.equal(loc.line, fixture.findIndex((l) => l.startsWith('  Upload(call, callback)')), 'the line of the Upload handler (0-based)');
    assert.equal(await session.handlerLocation('s1', '/demo.Ingest/Nope'), null);

    // New calls after attach are tracked from their start, with counts, via pushed deltas.
    const store = new StreamStore(snap);
    session.onDelta((d) => store.apply(d));
    const after = await startClient(server.port, 'upload,chat', ['--messages', '5']);
    const fresh = await until(() => {
      const up = [...store.streams.values()].find((s) => s.method.endsWith('Upload') && s.startedAt !== null && s.received === 5);
      const chat = [...store.streams.values()].find((s) => s.method.endsWith('Chat') && s.startedAt !== null && s.received === 5 && s.sent === 5);
      return up && chat && { up, chat };
    }, 10000, 'pushed counts of the new calls');
    assert.ok(fresh.up.lastReceivedAt >= fresh.up.startedAt);
    assert.equal(fresh.chat.state, 'active');
    // A unary call that completes leaves the live set and lands in the history with its status.
    const unary = await startClient(server.port, 'get', ['--get-delay', '0']);
    await unary.waitFor((e) => e.event === 'get-done');
    const ended = await until(() => store.ended.find((e) => e.method.endsWith('/Get') && e.startedAt !== null), 10000, 'ended unary');
    assert.equal(ended.statusCode, 0);
    assert.ok(![...store.streams.values()].some((s) => s.id === ended.id));
    after.kill();
    unary.kill();
  } finally {
    session.close();
    before.kill();
    server.kill();
  }
});

test('a frozen client: idle time grows and the stream turns suspect; cancel reaches the handler as cancelled', async () => {
  const server = await startServer();
  const client = await startClient(server.port, 'upload');
  const session = await attach(server.inspectPort, { subscribe: true });
  try {
    client.freeze();
    const first = toListJson(await session.refresh(), 1000).streams[0];
    await sleep(2200);
    const second = toListJson(await session.refresh(), 1000).streams[0];
    assert.equal(second.id, first.id);
    assert.ok(second.idleMs >= first.idleMs + 2000, `idle grew from ${first.idleMs} to ${second.idleMs}`);
    assert.equal(second.suspect, true);
    assert.ok(second.reasons.includes('server has no keepalive'), second.reasons.join('; '));
    assert.ok(second.reasons.some((r) => /^no message for \d+ s$/.test(r)), second.reasons.join('; '));
    assert.ok(second.reasons.includes('client has not half-closed'));

    const result = await session.cancel(second.id);
    assert.deepEqual(result, { ok: true, how: 'status' }, 'a client that reads gets a status');
    await server.waitFor((e) => e.event === 'cancelled' && e.method === 'Upload', 5000, 'handler saw cancelled');
    const snap = await until(async () => {
      const s = await session.refresh();
      return s.streams.length === 0 && s;
    }, 5000, 'the cancelled call to leave the live set');
    assert.equal(snap.ended.find((e) => e.id === second.id).statusCode, 1);
    assert.equal((await session.cancel('c999')).ok, false, 'cancelling an unknown stream is an error, not an exception');
  } finally {
    session.close();
    client.kill();
    server.kill();
  }
});

test('with server keepalive 2 s / 1 s a frozen client is cancelled and leaves the live set', async () => {
  const server = await startServer({ env: { KEEPALIVE_MS: '2000', KEEPALIVE_TIMEOUT_MS: '1000' } });
  const client = await startClient(server.port, 'upload');
  const session = await attach(server.inspectPort, { subscribe: true, flushMs: 100 });
  try {
    assert.deepEqual(session.initialSnapshot.servers[0].keepalive, { timeMs: 2000, timeoutMs: 1000, maxConnectionIdleMs: null, maxConnectionAgeMs: null });
    const store = new StreamStore(session.initialSnapshot);
    session.onDelta((d) => store.apply(d));
    const id = session.initialSnapshot.streams[0].id;
    client.freeze();
    await until(() => !store.streams.has(id), 12000, 'keepalive to end the frozen call');
    assert.equal(store.ended.find((e) => e.id === id).statusCode, 1);
    await server.waitFor((e) => e.event === 'cancelled', 3000, 'handler saw cancelled');
  } finally {
    session.close();
    client.kill();
    server.kill();
  }
});

test('attach twice, detach, attach again, and a server created after attach', async () => {
  const server = await startServer();
  const client = await startClient(server.port, 'upload,chat');
  const a = await attach(server.inspectPort, { subscribe: true });
  const b = await attach(server.inspectPort, { subscribe: true });
  try {
    assert.deepEqual(b.initialSnapshot.streams.map((s) => s.id).sort(), a.initialSnapshot.streams.map((s) => s.id).sort(), 'the second attach reuses the agent and its ids');
    assert.equal(b.initialSnapshot.streams.length, 2);

    server.send('new-server');
    const late = await server.waitFor((e) => e.event === 'listening' && e.tag === 'late');
    const lateClient = await startClient(late.port, 'chat');
    const snap = await until(async () => {
      const s = await b.refresh();
      return s.servers.length === 2 && s.streams.length === 3 && s;
    }, 10000, 'the late server and its call');
    const lateServer = snap.servers.find((s) => s.addresses.includes(`127.0.0.1:${late.port}`));
    const lateCall = snap.streams.find((s) => s.serverId === lateServer.id);
    assert.ok(lateCall.startedAt !== null, 'calls of a server created after attach are tracked from their start');
    lateClient.kill();

    await a.detachAgent();
    b.close();
    const gone = await evalIn(server.inspectPort, `globalThis[Symbol.for('grpc-stream-debugger.agent')] === undefined`);
    assert.equal(gone, true, 'detach removes the agent');
    const hooks = await evalIn(server.inspectPort, `(() => { const p = Object.keys(require.cache).find((k) => k.endsWith('grpc-js/build/src/server.js')); const S = require(p).Server.prototype; const B = require(p.replace(/server\.js$/, 'server-interceptors.js')).BaseServerInterceptingCall.prototype; return [S.register, S.bindAsync, require('module')._load, B.sendMessage, B.maybePushNextMessage, B.notifyOnCancel, B.start, B.serializeMessage].some((f) => /adoptServer|scanCopies|TRACK/.test(String(f))) ? 'patched' : 'clean'; })()`);
    assert.equal(hooks, 'clean', 'detach restores grpc-js');

    const again = await attach(server.inspectPort);
    try {
      assert.equal(again.initialSnapshot.streams.length, 2);
      assert.ok(again.initialSnapshot.streams.every((s) => s.startedAt === null), 'calls are adopted afresh');
    } finally {
      again.close();
    }
  } finally {
    a.close();
    b.close();
    client.kill();
    server.kill();
  }
});

test('an agent of an older version in the process is detached and replaced by this one', async () => {
  const { AGENT_VERSION } = lib('agent/protocol.js');
  const server = await startServer();
  const client = await startClient(server.port, 'chat');
  const key = `Symbol.for('grpc-stream-debugger.agent')`;
  // What an earlier release of the extension leaves behind: an agent whose snapshots this client cannot read.
  await evalIn(server.inspectPort, `globalThis[${key}] = { version: ${AGENT_VERSION - 1}, detach() { globalThis.__oldAgentDetached = true; delete globalThis[${key}]; } }, true`);
  const session = await attach(server.inspectPort);
  try {
    assert.equal(await evalIn(server.inspectPort, 'globalThis.__oldAgentDetached === true'), true, 'the old agent was asked to detach');
    assert.equal(session.initialSnapshot.agentVersion, AGENT_VERSION);
    assert.equal(session.initialSnapshot.streams.length, 1, 'the running call is adopted by the new agent');
    assert.equal(session.initialSnapshot.streams[0].kind, 'bidi');
  } finally {
    session.close();
    client.kill();
    server.kill();
  }
});

test('two copies of grpc-js in one process, including grpc-js 1.10', async () => {
  const server = await startServer({ script: 'two-copies-server.js' });
  const c1 = await startClient(server.port, 'upload');
  const ready = server.events.find((e) => e.event === 'listening');
  const c2 = await startClient(ready.oldPort, 'chat');
  const session = await attach(server.inspectPort);
  try {
    const snap = session.initialSnapshot;
    assert.deepEqual(snap.grpcJs.slice().sort(), ['1.10.11', '1.14.7']);
    assert.deepEqual(snap.servers.map((s) => s.grpcJsVersion).sort(), ['1.10.11', '1.14.7']);
    const old = snap.servers.find((s) => s.grpcJsVersion === '1.10.11');
    assert.equal(snap.streams.find((s) => s.kind === 'bidi').serverId, old.id);
    assert.equal(snap.streams.length, 2);
    // Cancel works on the 1.10 copy too.
    const c3 = await startClient(server.port, 'upload');
    const fresh = await until(async () => (await session.refresh()).streams.find((s) => s.startedAt !== null), 5000, 'new call');
    assert.equal((await session.cancel(fresh.id)).ok, true);
    await server.waitFor((e) => e.event === 'cancelled' && e.tag === 'new');
    c3.kill();
  } finally {
    session.close();
    c1.kill();
    c2.kill();
    server.kill();
  }
});

test('an ES-module server', async () => {
  const server = await startServer({ script: 'server.mjs' });
  const client = await startClient(server.port, 'upload,chat');
  const session = await attach(server.inspectPort);
  try {
    assert.equal(session.initialSnapshot.streams.length, 2);
    const c2 = await startClient(server.port, 'watch');
    await until(async () => (await session.refresh()).streams.some((s) => s.kind === 'server_stream' && s.startedAt !== null), 5000, 'new call in the ESM server');
    c2.kill();
  } finally {
    session.close();
    client.kill();
    server.kill();
  }
});

test('grpc-js 1.10 (npm alias) alone', async () => {
  const server = await startServer({ env: { GRPC_MODULE: 'grpc-js-110' } });
  const client = await startClient(server.port, 'upload,chat,watch,get');
  const session = await attach(server.inspectPort);
  try {
    assert.deepEqual(session.initialSnapshot.grpcJs, ['1.10.11']);
    assert.equal(session.initialSnapshot.streams.length, 4);
    const frozen = await startClient(server.port, 'upload');
    const rec = await until(async () => (await session.refresh()).streams.find((s) => s.startedAt !== null && s.received === 3), 5000, 'new upload with 3 messages');
    assert.equal(rec.kind, 'client_stream');
    frozen.kill();
  } finally {
    session.close();
    client.kill();
    server.kill();
  }
});

test('preload with --require: tracked from the first call, and memory stays bounded', async () => {
  const server = await startServer({ nodeArgs: ['--require', AGENT_PATH] });
  const client = await startClient(server.port, 'upload');
  // 600 short unary calls: none may stay in the live set; the history keeps the last 200.
  const many = await startClient(server.port, 'get', ['--get-delay', '0', '--count', '600']);
  await until(() => many.events.filter((e) => e.event === 'get-done').length === 600, 20000, '600 unary calls');
  const session = await attach(server.inspectPort);
  try {
    const snap = session.initialSnapshot;
    assert.equal(snap.streams.length, 1);
    assert.ok(snap.streams[0].startedAt !== null, 'preloaded agent saw the call start');
    assert.equal(snap.streams[0].received, 3);
    assert.equal(snap.ended.length, 200);
  } finally {
    session.close();
    many.kill();
    client.kill();
    server.kill();
  }
});

test('bad targets get a clear error and change nothing', async () => {
  const plain = await startPlain('setInterval(() => {}, 1000)');
  try {
    await assert.rejects(attach(plain.inspectPort), (e) => e.code === 'no-grpc' && /No @grpc\/grpc-js is loaded/.test(e.message));
    assert.equal(await evalIn(plain.inspectPort, `globalThis[Symbol.for('grpc-stream-debugger.agent')] === undefined`), true, 'no agent left behind');
  } finally {
    plain.kill();
  }
  const old = await startServer({ env: { GRPC_MODULE: 'grpc-js-18' } });
  try {
    await assert.rejects(attach(old.inspectPort), (e) => e.code === 'unsupported-grpc' && /Unsupported @grpc\/grpc-js version 1\.8\.22/.test(e.message));
  } finally {
    old.kill();
  }
  // A closed port: find one by binding and closing.
  const net = require('node:net');
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const closedPort = srv.address().port;
  await new Promise((r) => srv.close(r));
  await assert.rejects(attach(closedPort), (e) => e.code === 'not-listening' && e.message.includes(`127.0.0.1:${closedPort}`));
  // Something that is not an inspector.
  const http = require('node:http');
  const web = http.createServer((q, s) => s.end('<html>hello</html>'));
  await new Promise((r) => web.listen(0, '127.0.0.1', r));
  try {
    await assert.rejects(attach(web.address().port), (e) => e.code === 'not-inspector');
  } finally {
    web.close();
  }
  await assert.rejects(
    AgentSession.attach({ address: { host: '192.0.2.10', port: 9229 }, agentPath: AGENT_PATH }),
    (e) => e.code === 'remote-refused' && /full code execution/.test(e.message),
  );
});
