// Go servers in the live view through net/http/pprof: the handler goroutines of a real grpc-go
// server, by method, with where they wait in the user's code.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { spawnTracked, cli, until, killAll, ROOT, FIXTURES } = require('./helpers/procs');
const { lib } = require('./helpers/lib');
const { parseGoroutineDump } = lib('sources/goPprof/goroutineDump.js');
const { handlerCalls, goSuspectReasons } = lib('sources/goPprof/handlerCalls.js');

const MODULE = path.join(FIXTURES, 'analysis', 'gomod');
const MAIN = path.join(MODULE, 'cmd', 'ingest', 'main.go');
const lineOf = (needle) => fs.readFileSync(MAIN, 'utf8').split('\n').findIndex((l) => l.includes(needle)) + 1;

test.after(killAll);

test('goroutine dumps of a real grpc-go server: a handler in Recv and one whose Send waits on flow control', () => {
  const recv = handlerCalls(parseGoroutineDump(fs.readFileSync(path.join(FIXTURES, 'goroutines-recv.txt'), 'utf8')));
  assert.deepEqual(recv.map((c) => [c.method, c.kind, c.waiting, c.where && path.basename(c.where.file), c.where && c.where.func]), [
    ['grpc_testing.TestService/StreamingInputCall', 'stream', 'recv', 'main.go', 'main.(*server).StreamingInputCall'],
  ]);
  const send = handlerCalls(parseGoroutineDump(fs.readFileSync(path.join(FIXTURES, 'goroutines-send-blocked.txt'), 'utf8')));
  assert.deepEqual(send.map((c) => [c.method, c.waiting]), [['grpc_testing.TestService/StreamingOutputCall', 'send-blocked']]);
  assert.match(goSuspectReasons(send[0], 60_000)[0], /client stopped reading/);
  // Wait times come in whole minutes, from 1 minute on.
  const text = fs.readFileSync(path.join(FIXTURES, 'goroutines-recv.txt'), 'utf8').replace(/^goroutine 25 \[select\]:/m, 'goroutine 25 [select, 12 minutes]:');
  const [old] = handlerCalls(parseGoroutineDump(text));
  assert.equal(old.waitMinutes, 12);
  assert.match(goSuspectReasons(old, 60_000)[0], /^blocked in Recv for 12 min or more/);
  assert.deepEqual(goSuspectReasons(recv[0], 60_000), [], 'under a minute nothing is known to be wrong');
  assert.throws(() => parseGoroutineDump('<html>hello</html>'), /not a goroutine dump/);
});

test('list --pprof against a running grpc-go server: the silent client\'s handler waits in Recv at its line, the unread one in Send', async () => {
  const dir = path.join(ROOT, 'test', '.tmp', 'golive');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const bin = path.join(dir, 'ingest');
  const b = spawnSync('go', ['build', '-o', bin, './cmd/ingest'], { cwd: MODULE, env: { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' }, encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  const server = spawnTracked(bin, ['server'], { env: { ...process.env, PPROF: '1' } });
  const { port } = await server.waitFor((e) => e.event === 'listening', 20000);
  const { port: pprof } = await server.waitFor((e) => e.event === 'pprof', 20000);
  const at = ['--pprof', `http://127.0.0.1:${pprof}`];
  try {
    const none = JSON.parse((await cli(['list', ...at, '--json'])).stdout);
    assert.equal(none.source, 'go-pprof');
    assert.deepEqual(none.calls, []);
    const silent = spawnTracked(bin, ['client', `127.0.0.1:${port}`, 'silent']);
    await silent.waitFor((e) => e.event === 'sent', 20000);
    const unread = spawnTracked(bin, ['client', `127.0.0.1:${port}`, 'unread']);
    await unread.waitFor((e) => e.event === 'asked', 20000);
    const j = await until(async () => {
      const r = JSON.parse((await cli(['list', ...at, '--json'])).stdout);
      return r.calls.length === 2 && r.calls.some((c) => c.waiting === 'send-blocked') && r;
    }, 20000, 'both handler goroutines, one blocked in Send');
    const inRecv = j.calls.find((c) => c.method.endsWith('/StreamingInputCall'));
    assert.equal(inRecv.waiting, 'recv');
    assert.equal(inRecv.where.line, lineOf('req, err := stream.Recv()'));
    assert.equal(inRecv.suspect, false);
    const inSend = j.calls.find((c) => c.method.endsWith('/StreamingOutputCall'));
    assert.equal(inSend.where.line, lineOf('if err := stream.Send(&testpb.StreamingOutputCallResponse'));
    assert.equal(inSend.suspect, true);
    const text = await cli(['list', ...at]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /2 gRPC handler goroutines, 1 suspect/);
    assert.match(text.stdout, /in Send \(flow control\)/);
    silent.kill();
    unread.kill();
  } finally {
    server.kill();
  }
  const refused = await cli(['list', '--pprof', '127.0.0.1:1']);
  assert.equal(refused.code, 1);
  assert.equal(refused.stderr, 'grpc-streams: Nothing is listening on 127.0.0.1:1.\n');
  const both = await cli(['list', '--pprof', '127.0.0.1:1', '--inspect', '127.0.0.1:2']);
  assert.equal(both.code, 2);
});

test('list --delve PID: the handler goroutines of a Go process without pprof, and the process runs on after', async () => {
  const { findDelve } = lib('sources/goDelve/delveSource.js');
  assert.ok(findDelve(), 'dlv is installed (go install github.com/go-delve/delve/cmd/dlv@v1.27.2; .ci/run does)');
  const dir = path.join(ROOT, 'test', '.tmp', 'godelve');
  fs.mkdirSync(dir, { recursive: true });
  const bin = path.join(dir, 'ingest');
  const b = spawnSync('go', ['build', '-o', bin, './cmd/ingest'], { cwd: MODULE, env: { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' }, encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  const server = spawnTracked(bin, ['server']);
  const { port } = await server.waitFor((e) => e.event === 'listening', 20000);
  const silent = spawnTracked(bin, ['client', `127.0.0.1:${port}`, 'silent']);
  try {
    await silent.waitFor((e) => e.event === 'sent', 20000);
    const r = await cli(['list', '--delve', String(server.pid), '--json'], { timeoutMs: 60000 });
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.source, 'go-delve');
    assert.ok(j.pausedMs > 0);
    assert.deepEqual(j.calls.map((c) => [c.method, c.waiting, c.where.line]), [['grpc_testing.TestService/StreamingInputCall', 'recv', lineOf('req, err := stream.Recv()')]]);
    // Detached: the server goes on serving.
    const normal = spawnTracked(bin, ['client', `127.0.0.1:${port}`, 'normal']);
    assert.deepEqual(await normal.waitFor((e) => e.event === 'client-done', 20000), { event: 'client-done', code: 'OK', size: 30 });
    const text = await cli(['list', '--delve', String(server.pid)], { timeoutMs: 60000 });
    assert.match(text.stdout, /^go-delve pid \d+ {2}paused \d+\.\d s while Delve read it/);
    const watch = await cli(['watch', '--delve', String(server.pid)]);
    assert.equal(watch.code, 2);
    assert.match(watch.stderr, /Delve halts the process/);
  } finally {
    silent.kill();
    server.kill();
  }
  const gone = await cli(['list', '--delve', '999999']);
  assert.equal(gone.code, 1);
  assert.equal(gone.stderr, 'grpc-streams: There is no process with id 999999.\n');
  // A process that is not Go: Delve's own reason, in one line.
  const notGo = spawnTracked('sleep', ['30']);
  try {
    const r = await cli(['list', '--delve', String(notGo.pid)], { timeoutMs: 60000 });
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^grpc-streams: Delve could not (attach to|read) process \d+: /);
  } finally {
    notGo.kill();
  }
});
