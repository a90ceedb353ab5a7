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
const { handlerCalls, grpcGoVersion, fullMethodNames } = lib('sources/goPprof/handlerCalls.js');
const { GoCallTracker } = lib('sources/goPprof/goStreams.js');
const { judgeAll } = lib('model/listJson.js');

/** A dump's calls through the tracker and the shared judging, as `list --json` has them. */
function judged(tracker, text, now, thresholdMs) {
  const goroutines = parseGoroutineDump(text);
  const snap = tracker.snapshot({ now, calls: handlerCalls(goroutines), grpcVersion: grpcGoVersion(goroutines), pid: 0 });
  return { snap, streams: judgeAll(snap.streams, new Map(snap.servers.map((s) => [s.id, s])), now, thresholdMs) };
}

const MODULE = path.join(FIXTURES, 'analysis', 'gomod');
const MAIN = path.join(MODULE, 'cmd', 'ingest', 'main.go');
/** 1-based line of the first line holding `needle` (after line `after`, when given). */
const lineOf = (needle, after = 0) => fs.readFileSync(MAIN, 'utf8').split('\n').findIndex((l, i) => i >= after && l.includes(needle)) + 1;

test.after(killAll);

test('goroutine dumps of a real grpc-go server: a handler in Recv and one whose Send waits on flow control', () => {
  const recvText = fs.readFileSync(path.join(FIXTURES, 'goroutines-recv.txt'), 'utf8');
  const recv = handlerCalls(parseGoroutineDump(recvText));
  assert.deepEqual(recv.map((c) => [c.method, c.kind, c.waiting, c.where && path.basename(c.where.file), c.where && c.where.func]), [
    ['/grpc_testing.TestService/StreamingInputCall', 'stream', 'recv', 'main.go', 'main.(*server).StreamingInputCall'],
  ]);
  // The stack names the Go package; the generated file, when it can be read, the real method name.
  const generated = 'const (\n\tTestService_StreamingInputCall_FullMethodName = "/grpc.testing.TestService/StreamingInputCall"\n)\n';
  const older = 'var _TestService_serviceDesc = grpc.ServiceDesc{\n\tServiceName: "grpc.testing.TestService",\n';
  assert.equal(handlerCalls(parseGoroutineDump(recvText), (f) => (f.endsWith('_grpc.pb.go') ? fullMethodNames(generated) : null))[0].method, '/grpc.testing.TestService/StreamingInputCall');
  assert.equal(handlerCalls(parseGoroutineDump(recvText), (f) => (f.endsWith('_grpc.pb.go') ? fullMethodNames(older) : null))[0].method, '/grpc.testing.TestService/StreamingInputCall');
  const sendText = fs.readFileSync(path.join(FIXTURES, 'goroutines-send-blocked.txt'), 'utf8');
  const send = handlerCalls(parseGoroutineDump(sendText));
  assert.deepEqual(send.map((c) => [c.method, c.waiting]), [['/grpc_testing.TestService/StreamingOutputCall', 'send']]);
  assert.throws(() => parseGoroutineDump('<html>hello</html>'), /not a goroutine dump/);

  // Below the runtime's first whole minute, a wait is measured from the first read that saw it.
  const t0 = 1_000_000;
  const tracker = new GoCallTracker('go-pprof');
  const first = judged(tracker, sendText, t0, 60_000);
  assert.deepEqual([first.streams[0].suspect, first.streams[0].idleMs, first.streams[0].waitingSinceBasis], [false, 0, 'first-seen'], 'nothing is known to be wrong at first sight');
  const later = judged(tracker, sendText, t0 + 61_000, 60_000).streams[0];
  assert.equal(later.suspect, true);
  assert.deepEqual(later.reasons, ['the client stopped reading: Send has waited on HTTP/2 flow control for 61 s (since first seen waiting there)', "keepalive unknown (this source cannot read the server's options)"]);
  // Fields a stack cannot tell are null, in the same shape as a Node stream.
  assert.deepEqual([later.source, later.peer, later.received, later.sent, later.kind, later.connectionId, later.state], ['go-pprof', null, null, null, null, null, null]);
  assert.equal(later.goroutine, send[0].goroutine);
  assert.deepEqual(Object.keys(later.waitsAt), ['file', 'line', 'function']);
  // The runtime's minutes count when they say more; a goroutine gone from the dump is forgotten.
  const old = recvText.replace(/^goroutine 25 \[select\]:/m, 'goroutine 25 [select, 12 minutes]:');
  const tracked = judged(tracker, old, t0 + 62_000, 60_000).streams[0];
  assert.equal(tracked.waitingSinceBasis, 'runtime');
  assert.equal(tracked.idleMs, 12 * 60_000);
  assert.match(tracked.reasons[0], /^no message for 12 min \(the runtime's count, in whole minutes\)$/);
  const again = judged(tracker, sendText, t0 + 63_000, 60_000).streams[0];
  assert.equal(again.idleMs, 0, 'the Send goroutine left the dump in between, so it is new again');
  assert.equal(judged(tracker, recvText, t0, 60_000).snap.servers[0].library, `grpc-go ${grpcGoVersion(parseGoroutineDump(recvText)) ?? '(version unknown)'}`);
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
    assert.deepEqual(none.streams, []);
    assert.deepEqual(Object.keys(none).slice(0, 6), ['source', 'pid', 'node', 'grpcJs', 'servers', 'streams'], 'the same shape as a Node list');
    // A client stream and a bidi whose clients are frozen (SIGSTOP), and a server stream nobody reads.
    // Frozen once the server has their first message ("sent" says only that it was queued).
    const received = (method) => server.next((e) => e.event === 'received' && e.method.endsWith(method), 20000, `the server to receive ${method}'s first message`);
    const silentArrived = received('/StreamingInputCall');
    const silent = spawnTracked(bin, ['client', `127.0.0.1:${port}`, 'silent']);
    await silent.waitFor((e) => e.event === 'sent', 20000);
    await silentArrived;
    silent.freeze();
    const bidi = spawnTracked(bin, ['client', `127.0.0.1:${port}`, 'bidi']);
    await bidi.waitFor((e) => e.event === 'echoed', 20000);
    bidi.freeze();
    const unread = spawnTracked(bin, ['client', `127.0.0.1:${port}`, 'unread']);
    await unread.waitFor((e) => e.event === 'asked', 20000);
    const j = await until(async () => {
      const r = JSON.parse((await cli(['list', ...at, '--json'])).stdout);
      return r.streams.length === 3 && r.streams.some((c) => c.waiting === 'send') && r;
    }, 20000, 'the three handler goroutines, one blocked in Send');
    const inBidi = j.streams.find((c) => c.method.endsWith('/FullDuplexCall'));
    assert.equal(inBidi.waiting, 'recv');
    assert.equal(inBidi.waitsAt.line, lineOf('req, err := stream.Recv()', lineOf('func (s *server) FullDuplexCall')));
    const inRecv = j.streams.find((c) => c.method.endsWith('/StreamingInputCall'));
    assert.equal(inRecv.waiting, 'recv');
    assert.equal(inRecv.waitsAt.line, lineOf('req, err := stream.Recv()'));
    assert.equal(inRecv.waitsAt.file, MAIN);
    assert.equal(inRecv.suspect, false, 'one read: nothing is known to have waited long');
    const inSend = j.streams.find((c) => c.method.endsWith('/StreamingOutputCall'));
    assert.equal(inSend.waitsAt.line, lineOf('if err := stream.Send(&testpb.StreamingOutputCallResponse'));
    assert.match(j.servers[0].library, /^grpc-go v1\.\d+\.\d+$/, 'the version from the module paths of the stacks');
    const text = await cli(['list', ...at]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /3 gRPC handler goroutines, 0 suspect/);
    assert.match(text.stdout, /in Send \(flow control\)/);
    // Polled, the waits grow from the first read on: past a 1 s threshold both turn suspect.
    const { PprofPoller } = lib('sources/goPprof/pprofPoller.js');
    const poller = await PprofPoller.start(`http://127.0.0.1:${pprof}`, 200);
    try {
      const { toListJson } = lib('model/listJson.js');
      const both = await until(async () => {
        const r = toListJson(await poller.refresh(), 1000, 'go-pprof');
        return r.streams.filter((c) => c.suspect).length === 3 && r;
      }, 20000, 'the three handlers suspect once they have waited over a second');
      assert.match(both.streams.find((c) => c.waiting === 'recv').reasons[0], /^no message for \d+ s \(since first seen waiting there\)$/);
    } finally {
      await poller.close();
    }
    silent.kill();
    bidi.kill();
    unread.kill();
  } finally {
    server.kill();
  }
  // A Go program that serves pprof but no gRPC: one sentence, not an empty list.
  const plain = path.join(ROOT, 'test', '.tmp', 'golive', 'nogrpc');
  const pb = spawnSync('go', ['build', '-o', plain, '.'], { cwd: path.join(FIXTURES, 'go-nogrpc'), env: { ...process.env, GOTOOLCHAIN: 'local' }, encoding: 'utf8' });
  assert.equal(pb.status, 0, pb.stderr);
  // Attach to Process lists Go programs that link grpc-go, by their build info: not this one, nor the Go toolchain.
  const { linksGrpcGo, listGoProcesses } = lib('sources/goDelve/goProcesses.js');
  const goTool = path.join(spawnSync('go', ['env', 'GOROOT'], { encoding: 'utf8' }).stdout.trim(), 'bin', 'go');
  assert.deepEqual([linksGrpcGo(plain), linksGrpcGo(goTool), linksGrpcGo(path.join(ROOT, 'test', '.tmp', 'golive', 'ingest'))], [false, false, true]);
  const other = spawnTracked(plain, []);
  try {
    const { port: otherPort } = await other.waitFor((e) => e.event === 'pprof', 20000);
    const listed = listGoProcesses().map((p) => p.pid);
    assert.ok(!listed.includes(other.pid), `a Go program without grpc-go is no candidate (listed: ${listed})`);
    const r = await cli(['list', '--pprof', `127.0.0.1:${otherPort}`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^grpc-streams: 127\.0\.0\.1:\d+ serves pprof, but none of its \d+ goroutines runs grpc-go: it is not a gRPC server/);
  } finally {
    other.kill();
  }
  const refused = await cli(['list', '--pprof', '127.0.0.1:1']);
  assert.equal(refused.code, 1);
  assert.equal(refused.stderr, 'grpc-streams: Nothing is listening on 127.0.0.1:1.\n');
  const both = await cli(['list', '--pprof', '127.0.0.1:1', '--inspect', '127.0.0.1:2']);
  assert.equal(both.code, 2);
});

test('a unary handler of grpc-go 1.85 (one processRPC, unary handlers wrapped) is unary, and a dump of 1.60 reads as one of 1.75', () => {
  const unary = handlerCalls(parseGoroutineDump(fs.readFileSync(path.join(FIXTURES, 'goroutines-unary-1.85.txt'), 'utf8')));
  assert.deepEqual(unary.map((c) => [c.method, c.kind, c.waiting]), [['/grpc_testing.TestService/UnaryCall', 'unary', 'handler']]);
  const old = parseGoroutineDump(fs.readFileSync(path.join(FIXTURES, 'goroutines-1.60.txt'), 'utf8'));
  assert.equal(grpcGoVersion(old), 'v1.60.0');
  assert.deepEqual(handlerCalls(old).map((c) => [c.method, c.waiting, path.basename(c.where.file)]).sort(), [
    ['/grpc_testing.TestService/StreamingInputCall', 'recv', 'main.go'],
    ['/grpc_testing.TestService/StreamingOutputCall', 'send', 'main.go'],
  ]);
});

test('a large Go server is read as groups of identical stacks (debug=1), never with the full dump that stops it', { timeout: 120000 }, async () => {
  const { parseGoroutineProfile } = lib('sources/goPprof/goroutineDump.js');
  const { readGoPprof } = lib('sources/goPprof/pprofSource.js');
  const dir = path.join(ROOT, 'test', '.tmp', 'golive-groups');
  fs.mkdirSync(dir, { recursive: true });
  const bin = path.join(dir, 'ingest');
  const b = spawnSync('go', ['build', '-o', bin, './cmd/ingest'], { cwd: MODULE, env: { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' }, encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  const server = spawnTracked(bin, ['server'], { env: { ...process.env, PPROF: '1' } });
  try {
    const { port } = await server.waitFor((e) => e.event === 'listening', 20000);
    const { port: pprof } = await server.waitFor((e) => e.event === 'pprof', 20000);
    const many = spawnTracked(bin, ['client', `127.0.0.1:${port}`, 'many:40']);
    await many.waitFor((e) => e.event === 'opened', 20000);
    const base = `http://127.0.0.1:${pprof}`;
    // The profile parser on the server's own grouped text.
    const grouped = parseGoroutineProfile(await (await fetch(`${base}/debug/pprof/goroutine?debug=1`)).text());
    assert.ok(grouped.total >= 40 && grouped.groups.some((g) => g.count >= 40), `a group of the 40 handlers in ${JSON.stringify(grouped.groups.map((g) => g.count))}`);
    // With the full-dump limit below the server's size, the 40 handlers come as one group.
    const read = await until(async () => {
      const r = await readGoPprof(base, 5000, 10);
      return r.calls.some((c) => c.count === 40) && r;
    }, 20000, 'the 40 handlers as one group');
    assert.equal(read.detail, 'groups');
    const group = read.calls.find((c) => c.count === 40);
    assert.deepEqual([group.goroutine, group.method, group.waiting, group.where.line], [null, '/grpc.testing.TestService/StreamingInputCall', 'recv', lineOf('req, err := stream.Recv()')]);
    const tracker = new GoCallTracker('go-pprof');
    const snap = tracker.snapshot({ ...read, pid: 0 });
    const again = tracker.snapshot({ ...read, now: read.now + 5000, pid: 0 });
    const [first, second] = [snap, again].map((s) => s.streams.find((x) => x.goroutines === 40));
    assert.equal(first.id, second.id, 'the same stack keeps its id between reads');
    assert.equal(judgeAll(again.streams, new Map(again.servers.map((s) => [s.id, s])), read.now + 5000, 1000).find((x) => x.goroutines === 40).suspect, true);
    // Below the limit the same server is read goroutine by goroutine.
    const full = await readGoPprof(base);
    assert.equal(full.detail, 'goroutines');
    assert.equal(full.calls.filter((c) => c.method.endsWith('/StreamingInputCall')).length, 40);
    const text = await cli(['list', '--pprof', base]);
    assert.match(text.stdout, /40 gRPC handler goroutines, 0 suspect/);
    many.kill();
  } finally {
    server.kill();
  }
});

for (const version of ['v1.60.0', 'v1.66.0', 'v1.85.0']) {
  test(`grpc-go ${version} (its own receive and send frames): list --pprof finds the handler waiting in Recv and the one waiting in Send, at their lines`, { timeout: 300000 }, async () => {
    const dir = path.join(ROOT, 'test', '.tmp', 'goversions', version);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.cpSync(MODULE, dir, { recursive: true });
    const env = { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' };
    const edit = spawnSync('go', ['mod', 'edit', `-require=google.golang.org/grpc@${version}`], { cwd: dir, env, encoding: 'utf8' });
    assert.equal(edit.status, 0, edit.stderr);
    const bin = path.join(dir, 'ingest');
    const b = spawnSync('go', ['build', '-o', bin, './cmd/ingest'], { cwd: dir, env, encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    const main = path.join(dir, 'cmd', 'ingest', 'main.go');
    const lineIn = (needle) => fs.readFileSync(main, 'utf8').split('\n').findIndex((l) => l.includes(needle)) + 1;
    const server = spawnTracked(bin, ['server'], { env: { ...process.env, PPROF: '1' } });
    const clients = [];
    try {
      const { port } = await server.waitFor((e) => e.event === 'listening', 20000);
      const { port: pprof } = await server.waitFor((e) => e.event === 'pprof', 20000);
      clients.push(spawnTracked(bin, ['client', `127.0.0.1:${port}`, 'silent']), spawnTracked(bin, ['client', `127.0.0.1:${port}`, 'unread']));
      const j = await until(async () => {
        const r = JSON.parse((await cli(['list', '--pprof', `http://127.0.0.1:${pprof}`, '--json'])).stdout);
        return r.streams.length === 2 && r.streams.some((c) => c.waiting === 'send') && r;
      }, 30000, `both handler goroutines of grpc-go ${version}`);
      assert.equal(j.servers[0].library, `grpc-go ${version}`);
      assert.deepEqual(j.streams.map((c) => [c.method, c.waiting, c.waitsAt.file, c.waitsAt.line]).sort(), [
        ['/grpc.testing.TestService/StreamingInputCall', 'recv', main, lineIn('req, err := stream.Recv()')],
        ['/grpc.testing.TestService/StreamingOutputCall', 'send', main, lineIn('if err := stream.Send(&testpb.StreamingOutputCallResponse')],
      ]);
      // Through Delve: the same handlers, with their kind and peer read from this version's fields.
      const d = await cli(['list', '--delve', String(server.pid), '--json'], { timeoutMs: 60000 });
      assert.equal(d.code, 0, d.stderr);
      const delve = JSON.parse(d.stdout).streams.map((c) => [c.method, c.kind, /^127\.0\.0\.1:\d+$/.test(c.peer ?? '')]).sort();
      assert.deepEqual(delve, [['/grpc.testing.TestService/StreamingInputCall', 'client_stream', true], ['/grpc.testing.TestService/StreamingOutputCall', 'server_stream', true]]);
    } finally {
      for (const c of clients) c.kill();
      server.kill();
    }
  });
}

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
  const silentArrived = server.next((e) => e.event === 'received' && e.method.endsWith('/StreamingInputCall'), 20000, 'the silent client\'s first message at the server');
  const silent = spawnTracked(bin, ['client', `127.0.0.1:${port}`, 'silent']);
  const bidi = spawnTracked(bin, ['client', `127.0.0.1:${port}`, 'bidi']);
  try {
    await silent.waitFor((e) => e.event === 'sent', 20000);
    await silentArrived;
    await bidi.waitFor((e) => e.event === 'echoed', 20000);
    silent.freeze();
    bidi.freeze();
    const r = await cli(['list', '--delve', String(server.pid), '--json'], { timeoutMs: 60000 });
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.source, 'go-delve');
    assert.ok(j.pausedMs > 0);
    j.streams.sort((a, b) => a.method.localeCompare(b.method));
    assert.deepEqual(j.streams.map((c) => [c.method, c.waiting, c.waitsAt.line, c.source, c.kind]), [
      ['/grpc.testing.TestService/FullDuplexCall', 'recv', lineOf('req, err := stream.Recv()', lineOf('func (s *server) FullDuplexCall')), 'go-delve', 'bidi'],
      ['/grpc.testing.TestService/StreamingInputCall', 'recv', lineOf('req, err := stream.Recv()'), 'go-delve', 'client_stream'],
    ]);
    silent.thaw();
    // Delve reads what a stack cannot tell: the method's StreamDesc (kind) and the client's address.
    assert.ok(j.streams.every((c) => /^127\.0\.0\.1:\d+$/.test(c.peer)), 'each handler\'s client address');
    assert.deepEqual(j.servers[0].methods.map((m) => m.kind).sort(), ['bidi', 'client_stream']);
    assert.equal(j.pid, server.pid);
    // Detached: the server goes on serving.
    const normal = spawnTracked(bin, ['client', `127.0.0.1:${port}`, 'normal']);
    assert.deepEqual(await normal.waitFor((e) => e.event === 'client-done', 20000), { event: 'client-done', code: 'OK', size: 30 });
    const text = await cli(['list', '--delve', String(server.pid)], { timeoutMs: 60000 });
    assert.match(text.stdout, /^go-delve pid \d+ {2}paused \d+\.\d s while Delve read it/);
    const watch = await cli(['watch', '--delve', String(server.pid)]);
    assert.equal(watch.code, 2);
    assert.match(watch.stderr, /Delve halts the process/);
    // --pid of a Go program (known by its executable's .go.buildinfo) goes through Delve too.
    const byPid = await cli(['list', '--pid', String(server.pid), '--json'], { timeoutMs: 60000 });
    assert.equal(byPid.code, 0, byPid.stderr);
    assert.equal(JSON.parse(byPid.stdout).source, 'go-delve');
    assert.equal((await cli(['watch', '--pid', String(server.pid)])).code, 2);
    const cancelGo = await cli(['cancel', 'g1', '--pid', String(server.pid), '--yes']);
    assert.equal(cancelGo.code, 1);
    assert.match(cancelGo.stderr, /^grpc-streams: Cancel is not available for Go: /);
  } finally {
    silent.kill();
    bidi.kill();
    server.kill();
  }
  // A stripped binary: said before Delve starts (no pause for nothing).
  const stripped = path.join(dir, 'ingest-stripped');
  const sb = spawnSync('go', ['build', '-ldflags=-s -w', '-o', stripped, './cmd/ingest'], { cwd: MODULE, env: { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' }, encoding: 'utf8' });
  assert.equal(sb.status, 0, sb.stderr);
  const bare = spawnTracked(stripped, ['server']);
  try {
    await bare.waitFor((e) => e.event === 'listening', 20000);
    const r = await cli(['list', '--delve', String(bare.pid)], { timeoutMs: 60000 });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^grpc-streams: Process \d+ is a Go program without debug info \(built with -ldflags="-s -w", or stripped\): Delve cannot read it/);
  } finally {
    bare.kill();
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
