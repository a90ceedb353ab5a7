// The agent never harms the server it is attached to, and the CLI is safe to point at any pid:
// real grpc-js servers and clients in child processes, a real inspector, the real CLI.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawn, execFile } = require('node:child_process');
const { startServer, startClient, spawnTracked, cli, until, killAll, FIXTURES, evalIn } = require('./helpers/procs');
const { lib, AGENT_PATH, CLI_PATH } = require('./helpers/lib');
const { AgentSession } = lib('inspector/agentSession.js');
const { findInspectorPorts } = lib('inspector/nodeProcesses.js');
const { StreamStore } = lib('model/streamStore.js');

const attach = (port, extra = {}) => AgentSession.attach({ address: { host: '127.0.0.1', port }, agentPath: AGENT_PATH, ...extra });


test.after(killAll);

test('a fresh attach to a server with a large heap under unary load: no call fails, in-flight streams are adopted', async () => {
  const server = await startServer({ env: { BALLAST_MB: '200' }, nodeArgs: ['--max-old-space-size=2048'] });
  const streams = await startClient(server.port, 'upload,chat,watch', ['--count', '3']);
  const load = await startClient(server.port, 'unary-load');
  try {
    const before = await until(async () => {
      load.child.kill('SIGUSR2');
      return load.waitFor((e) => e.event === 'load' && e.ok > 50, 2000, 'unary calls before attach').catch(() => null);
    }, 20000, 'unary load running');
    const session = await attach(server.inspectPort);
    const snap = session.initialSnapshot;
    await session.close();
    const count = (m) => snap.streams.filter((s) => s.method === `/demo.Ingest/${m}`).length;
    assert.deepEqual([count('Upload'), count('Chat'), count('Watch')], [3, 3, 3], 'every call started before the attach is listed');
    const adopted = snap.streams.filter((s) => !s.method.endsWith('/Get'));
    assert.ok(adopted.every((s) => s.startedAt === null && s.serverId === 's1'), 'adopted calls have no known start');
    load.events.length = 0;
    load.child.kill('SIGUSR2');
    const after = await load.waitFor((e) => e.event === 'load', 5000, 'load report');
    assert.ok(after.ok > before.ok, 'calls went on during the attach');
    assert.equal(after.failed, 0, `unary calls with 1 s deadlines failed during the attach: ${after.codes.join(', ')}`);
  } finally {
    load.kill();
    streams.kill();
    server.kill();
  }
});

test('cancel ends a server stream whose client stopped reading: the call leaves the live set and the woken client gets CANCELLED', async () => {
  const server = await startServer();
  const client = await startClient(server.port, 'flood');
  const session = await attach(server.inspectPort);
  try {
    await server.waitFor((e) => e.event === 'flooding');
    client.freeze();
    const stream = session.initialSnapshot.streams.find((s) => s.method === '/demo.Ingest/Watch');
    assert.ok(stream, 'the flooding stream is listed');
    // Let the flood fill the client's flow-control window and the server's buffers.
    await until(async () => (await evalIn(server.inspectPort, `(() => { const a = globalThis[Symbol.for('grpc-stream-debugger.agent')]; const c = [...a.live.values()][0]; return !!c && c.base.stream.writableLength > 0; })()`)), 10000, 'data queued behind the frozen client');
    const r = await session.cancel(stream.id);
    assert.deepEqual(r, { ok: true, how: 'reset' });
    await server.waitFor((e) => e.event === 'cancelled' && e.flood, 5000, 'the handler saw cancelled');
    const snap = await session.refresh();
    assert.ok(!snap.streams.some((s) => s.id === stream.id), 'the call left the live set');
    assert.equal(snap.ended.find((e) => e.id === stream.id).statusCode, 1);
    client.thaw();
    const end = await client.waitFor((e) => e.event === 'flood-error', 10000, 'the woken client to get a status');
    assert.equal(end.code, 1, 'CANCELLED');
  } finally {
    await session.close();
    client.kill();
    server.kill();
  }
});

test('two servers built from one options object: the application\'s interceptors array is untouched and each stream names its own server', async () => {
  const server = await startServer({ env: { SHARED_OPTIONS: '1' } });
  server.send('new-server');
  const late = await server.waitFor((e) => e.event === 'listening' && e.tag === 'late');
  const session = await attach(server.inspectPort, { subscribe: true, flushMs: 100 });
  const store = new StreamStore(session.initialSnapshot);
  session.onDelta((d) => store.apply(d));
  const a = await startClient(server.port, 'upload');
  const b = await startClient(late.port, 'chat,chat');
  try {
    await until(() => store.streams.size === 3 && store.servers.size === 2, 10000, 'three streams on two servers');
    const serverOf = (port) => [...store.servers.values()].find((s) => s.addresses.includes(`127.0.0.1:${port}`)).id;
    const by = (m) => [...store.streams.values()].filter((s) => s.method.endsWith(m)).map((s) => s.serverId);
    assert.deepEqual(by('Upload'), [serverOf(server.port)]);
    assert.deepEqual(by('Chat'), [serverOf(late.port), serverOf(late.port)]);
    server.send('interceptors');
    const arr = await server.waitFor((e) => e.event === 'interceptors');
    assert.deepEqual(arr, { event: 'interceptors', length: 1, same: true }, 'the shared array keeps its one interceptor');
  } finally {
    await session.close();
    a.kill();
    b.kill();
    server.kill();
  }
});

test('the push binding: not on the global object, removed when the subscriber goes, and a forged delta is dropped', async () => {
  const server = await startServer();
  const warnings = [];
  const bindings = `Object.getOwnPropertyNames(globalThis).filter((n) => n.startsWith('__grpcStreams')).length`;
  const session = await attach(server.inspectPort, { subscribe: true, flushMs: 100, warn: (m) => warnings.push(m) });
  const store = new StreamStore(session.initialSnapshot);
  session.onDelta((d) => store.apply(d));
  const client = await startClient(server.port, 'upload');
  try {
    await until(() => store.streams.size === 1, 10000, 'the upload');
    assert.equal(await evalIn(server.inspectPort, bindings), 0, 'application code finds no binding');
    // A hostile or broken sender: garbage, a fake stream, an id of another process.
    const real = [...store.streams.values()][0];
    const fake = { ...real, id: real.id.replace(/-\d+$/, '-999'), method: '/evil.Fake/Stream', kind: 'nonsense' };
    const other = { ...real, id: real.id.replace(/^\d+/, '1') };
    await evalIn(server.inspectPort, `(() => {
      const a = globalThis[Symbol.for('grpc-stream-debugger.agent')];
      for (const sink of a.sinks.values()) {
        sink.push('not json');
        sink.push(JSON.stringify({ seq: 1e9, now: Date.now(), upserts: [${JSON.stringify(fake)}], ended: [] }));
        sink.push(JSON.stringify({ seq: 1e9 + 1, now: Date.now(), upserts: [${JSON.stringify(other)}], ended: [] }));
      }
      return true; })()`);
    await until(() => warnings.length >= 3, 5000, 'three warnings');
    assert.match(warnings[0], /not JSON/);
    assert.match(warnings[1], /malformed record/);
    assert.match(warnings[2], /belongs to process 1/);
    assert.deepEqual([...store.streams.keys()], [real.id], 'no fake stream');
    // Real changes still arrive after the forged ones.
    const second = await startClient(server.port, 'chat');
    await until(() => store.streams.size === 2, 10000, 'a real delta after the forged ones');
    second.kill();
  } finally {
    await session.close();
    client.kill();
  }
  const leftover = await evalIn(server.inspectPort, `(() => { const a = globalThis[Symbol.for('grpc-stream-debugger.agent')]; return a.sinks.size; })()`);
  assert.equal(leftover, 0, 'the agent let go of the binding');
  server.kill();
});

test('stream ids are distinct after detach and re-attach, and an old id is refused with a reason', async () => {
  const server = await startServer();
  const client = await startClient(server.port, 'upload');
  try {
    const first = await attach(server.inspectPort);
    const oldId = first.initialSnapshot.streams[0].id;
    assert.match(oldId, new RegExp(`^${server.pid}-[0-9a-z]+-\\d+$`));
    await first.detachAgent();
    const second = await attach(server.inspectPort);
    try {
      const newId = second.initialSnapshot.streams[0].id;
      assert.notEqual(newId, oldId);
      const r = await second.cancel(oldId);
      assert.equal(r.ok, false);
      assert.match(r.error, /from an earlier attach to process \d+/);
      const cancelled = await cli(['cancel', oldId, '--inspect', `127.0.0.1:${server.inspectPort}`, '--yes']);
      assert.equal(cancelled.code, 1);
      assert.match(cancelled.stderr, /earlier attach/);
      assert.ok(!server.events.some((e) => e.event === 'cancelled'), 'nothing was cancelled');
    } finally {
      await second.close();
    }
  } finally {
    client.kill();
    server.kill();
  }
});

test('watch says when the process stops answering and when another client removed the agent', async () => {
  const server = await startServer();
  const client = await startClient(server.port, 'chat');
  const watch = spawnTracked(process.execPath, [CLI_PATH, 'watch', '--inspect', `127.0.0.1:${server.inspectPort}`]);
  let out = '';
  watch.child.stdout.on('data', (d) => { out += d; });
  try {
    await until(() => /1 open, 0 suspect/.test(out), 15000, 'the first frame');
    assert.doesNotMatch(out, /\x1b\[/, 'no terminal codes into a pipe');
    server.freeze();
    await until(() => /the process is not answering/.test(out), 15000, 'the not-answering banner');
    server.thaw();
    const mark = out.length;
    await until(() => /1 open, 0 suspect/.test(out.slice(mark)) && !/not answering/.test(out.slice(out.lastIndexOf('grpc-streams watch'))), 15000, 'frames again after the process answers');
    const det = await cli(['detach', '--inspect', `127.0.0.1:${server.inspectPort}`]);
    assert.equal(det.code, 0, det.stderr);
    const code = await watch.exited;
    assert.equal(code, 1);
    assert.match(watch.stderr, /the agent was removed from the process \(another client detached it\)/);
  } finally {
    server.thaw();
    watch.kill();
    client.kill();
    server.kill();
  }
});

test('--pid: a process that only calls itself node is never signalled; a Node server that renamed itself is attached', async () => {
  const fake = spawn('bash', ['-c', 'exec -a node sleep 60'], { stdio: 'ignore' });
  try {
    await until(() => fs.readFileSync(`/proc/${fake.pid}/cmdline`, 'utf8').startsWith('node'), 5000, 'the fake node');
    const r = await cli(['list', '--pid', String(fake.pid)]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`Process ${fake.pid} \\(.*sleep\\) is not a Node process, so it was not signalled`));
    assert.equal(fake.exitCode, null, 'sleep is still running (SIGUSR1 would have killed it)');
    assert.equal(fake.signalCode, null);
  } finally {
    fake.kill('SIGKILL');
  }
  const server = await startServer({ inspect: false, nodeArgs: ['--inspect-port=127.0.0.1:0'], env: { TITLE: 'billing-api' } });
  try {
    await until(() => fs.readFileSync(`/proc/${server.pid}/cmdline`, 'utf8').startsWith('billing-api'), 5000, 'the new title');
    const r = await cli(['list', '--pid', String(server.pid), '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).pid, server.pid);
    await until(async () => (await findInspectorPorts(server.pid)).length === 0, 5000, 'the opened inspector to close');
  } finally {
    server.kill();
  }
});

test('--pid: a taken inspector port is named, and a wrapper process names its Node child', async () => {
  const blocker = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => blocker.once('listening', r));
  const port = blocker.address().port;
  const server = await startServer({ inspect: false, nodeArgs: [`--inspect-port=127.0.0.1:${port}`] });
  try {
    const r = await cli(['list', '--pid', String(server.pid)]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`port ${port} is already in use by process ${process.pid}`));
    assert.equal(r.stderr.trim().split('\n').length, 1);
  } finally {
    blocker.close();
    server.kill();
  }
  // A Node wrapper (like npx or tsx) that runs the server as its child.
  const wrapper = spawnTracked(process.execPath, ['--inspect=127.0.0.1:0', '-e', `
    const { spawn } = require('node:child_process');
    const c = spawn(process.execPath, [${JSON.stringify(path.join(FIXTURES, 'server.js'))}], { stdio: ['ignore', 'inherit', 'inherit'] });
    process.on('SIGTERM', () => { c.kill('SIGKILL'); process.exit(0); });
  `]);
  try {
    const child = await wrapper.waitFor((e) => e.event === 'listening');
    const r = await cli(['list', '--pid', String(wrapper.pid)]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`No @grpc/grpc-js is loaded.*started the Node process ${child.pid}.*--pid ${child.pid}`));
    process.kill(child.pid, 'SIGKILL');
  } finally {
    wrapper.kill();
  }
});

test('CLI hygiene: a closed pipe ends quietly, target strings cannot drive the terminal, untracked grpc-js copies are named', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-'));
  const sock = path.join(dir, 'evil\x1b[31m.sock');
  const server = await startServer({ env: { BIND: `unix:${sock}` } });
  try {
    const at = ['--inspect', `127.0.0.1:${server.inspectPort}`];
    const text = await cli(['list', ...at]);
    assert.equal(text.code, 0, text.stderr);
    assert.ok(!text.stdout.includes('\x1b'), 'no raw escape reaches the terminal');
    assert.ok(text.stdout.includes('evil\\x1b[31m.sock'), text.stdout);
    // `| true` closes the pipe before the table is written.
    const piped = await new Promise((resolve) => execFile('bash', ['-c', `"${process.execPath}" "${CLI_PATH}" list ${at.join(' ')} | true; echo "exit=\${PIPESTATUS[0]}" >&2`], (err, stdout, stderr) => resolve(stderr)));
    assert.match(piped, /exit=0/);
    assert.doesNotMatch(piped, /EPIPE|Error|at /);
  } finally {
    server.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // A server on grpc-js 1.8 in a process that also loads a supported copy (for a client, say).
  const old = await startServer({ env: { GRPC_MODULE: 'grpc-js-18' }, nodeArgs: ['-r', '@grpc/grpc-js'] });
  try {
    const r = await cli(['list', '--inspect', `127.0.0.1:${old.inspectPort}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /grpc-js 1\.8\.\d+ at .*: not tracked \(gRPC Stream Debugger needs 1\.10 or newer\)/);
  } finally {
    old.kill();
  }
  const usage = await cli(['list', '--bogus']);
  assert.equal(usage.code, 2);
  const noCommand = await cli([]);
  assert.equal(noCommand.code, 2);
  assert.match(noCommand.stderr, /Usage: grpc-streams <command>/);
});

test('a snapshot larger than one page arrives whole: attach, subscribe, refresh and list --json', async () => {
  const server = await startServer();
  const client = await startClient(server.port, 'upload', ['--count', '2500', '--messages', '0']);
  try {
    const plain = await attach(server.inspectPort);
    // The client says ready before all 2,500 calls have reached the server.
    const whole = await until(async () => {
      const snap = await plain.refresh();
      return snap.streams.length === 2500 && snap;
    }, 30000, '2,500 open streams');
    assert.equal(new Set(whole.streams.map((s) => s.id)).size, 2500);
    await plain.close();
    const sub = await attach(server.inspectPort, { subscribe: true });
    assert.equal(new Set(sub.initialSnapshot.streams.map((s) => s.id)).size, 2500);
    assert.ok(sub.initialSnapshot.streams.every((s) => s.method === '/demo.Ingest/Upload' && s.kind === 'client_stream' && /^127\.0\.0\.1:\d+$/.test(s.peer)));
    await sub.close();
    const r = await cli(['list', '--inspect', `127.0.0.1:${server.inspectPort}`, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).streams.length, 2500);
  } finally {
    client.kill();
    server.kill();
  }
});
