// The fixes do what their titles say, at run time, against real grpc-go (and grpc-js for the
// subscription fix): a handler fixed with "Receive asynchronously with an idle timeout" ends a
// client frozen with SIGSTOP with DEADLINE_EXCEEDED and leaves no goroutine behind, while a normal
// stream keeps its result; a subscriber fixed to wait on its stream's context, or to stop its
// listener when the call ends, lets go once its client has gone.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { spawnTracked, cli, until, killAll, ROOT } = require('./helpers/procs');

const MODULE = path.join(ROOT, 'test', 'fixtures', 'analysis', 'gomod');
const TMP = path.join(ROOT, 'test', '.tmp', 'goruntime');
const GO_ENV = { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' };

test.after(killAll);

/** A copy of the module with cmd/ingest/main.go as given, built; returns the binary's path. */
function build(name, mainGo) {
  const dir = path.join(TMP, name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(MODULE, dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'cmd', 'ingest', 'main.go'), mainGo);
  const bin = path.join(dir, 'ingest');
  const r = spawnSync('go', ['build', '-o', bin, './cmd/ingest'], { cwd: dir, env: GO_ENV, encoding: 'utf8' });
  assert.equal(r.status, 0, `go build: ${r.stderr}`);
  return bin;
}

/** { n: all goroutines, handler: those in the handler or its receive helper }. */
async function goroutines(server) {
  const before = server.events.length;
  server.send('goroutines');
  return server.waitFor((e) => e.event === 'goroutines' && server.events.indexOf(e) >= before);
}

test('the idle-timeout fix ends a frozen client with DEADLINE_EXCEEDED and leaves no goroutine; a normal stream keeps its result', async () => {
  const original = fs.readFileSync(path.join(MODULE, 'cmd', 'ingest', 'main.go'), 'utf8');
  const file = path.join(TMP, 'main.go');
  fs.mkdirSync(TMP, { recursive: true });
  fs.writeFileSync(file, original);
  const lint = await cli(['lint', file, '--json']);
  const finding = JSON.parse(lint.stdout).find((f) => f.rule === 'recv-without-idle-timeout');
  assert.ok(finding, 'the handler\'s Recv loop is a finding');
  assert.equal(JSON.parse(lint.stdout).filter((f) => f.rule === 'recv-without-idle-timeout').length, 2, 'the two handlers\' Recv loops; the client\'s CloseAndRecv is none');
  const fixed = await cli(['fix', file, '--line', String(finding.line), '--pattern', 'async-receive', '--idle-timeout', '1s']);
  assert.equal(fixed.code, 0, fixed.stderr);
  const bin = build('fixed', fixed.stdout);

  const server = spawnTracked(bin, ['server'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const { port } = await server.waitFor((e) => e.event === 'listening', 20000);
  const addr = `127.0.0.1:${port}`;
  // A normal stream: three messages, half-close, the total comes back.
  const normal = spawnTracked(bin, ['client', addr, 'normal']);
  assert.deepEqual(await normal.waitFor((e) => e.event === 'client-done', 20000), { event: 'client-done', code: 'OK', size: 30 });
  // A client that sends one message and freezes without closing anything.
  const silentArrived = server.next((e) => e.event === 'received' && e.method.endsWith('/StreamingInputCall'), 20000, 'the silent client\'s first message at the server');
  const silent = spawnTracked(bin, ['client', addr, 'silent']);
  await silent.waitFor((e) => e.event === 'sent', 20000);
  await silentArrived;
  silent.freeze();
  const during = await goroutines(server);
  const ended = await server.waitFor((e) => e.event === 'handler-returned' && e.code !== 'OK', 20000, 'the silent call to end');
  assert.equal(ended.code, 'DeadlineExceeded');
  // Nothing of the call stays: the receiving goroutine left with the handler, while the frozen
  // client's connection is still open.
  assert.ok(during.handler >= 1, `the handler was running (${during.handler} goroutines)`);
  await until(async () => (await goroutines(server)).handler === 0, 10000, 'no goroutine left in the handler or its helper');
  silent.thaw();
  assert.equal((await silent.waitFor((e) => e.event === 'client-done', 20000)).code, 'DeadlineExceeded');
  assert.equal((await goroutines(server)).handler, 0);
  silent.kill();
  normal.kill();
  server.kill();
});

// The subscription loop as the fixture writes it (a range), and as a bare receive in a for loop.
const RANGE_LOOP = 'for u := range updates {';
const SHAPES = [
  { shape: 'range', rewrite: (t) => t, fixedLooks: /for u := range untilDone\(stream\.Context\(\), updates\) \{/ },
  { shape: 'receive', rewrite: (t) => t.replace(RANGE_LOOP, 'for {\n\t\tu := <-updates'), fixedLooks: /select \{\n\t\tcase <-stream\.Context\(\)\.Done\(\):\n\t\t\treturn status\.FromContextError\(stream\.Context\(\)\.Err\(\)\)\.Err\(\)\n\t\tcase u := <-updates:/ },
];

for (const { shape, rewrite, fixedLooks } of SHAPES) test(`the select-context fix (${shape}): a subscription handler whose client went returns, and its goroutines go; unfixed, it waits on its channel for good`, async () => {
  const original = rewrite(fs.readFileSync(path.join(MODULE, 'cmd', 'ingest', 'main.go'), 'utf8'));
  assert.ok(shape === 'range' || !original.includes(RANGE_LOOP), 'the loop was rewritten');
  const file = path.join(TMP, `main-subscribe-${shape}.go`);
  fs.mkdirSync(TMP, { recursive: true });
  fs.writeFileSync(file, original);
  const lint = JSON.parse((await cli(['lint', file, '--json'])).stdout);
  const waits = lint.filter((f) => f.rule === 'stream-wait-ignores-context');
  assert.equal(waits.length, 1, 'the subscription loop is the one finding of its rule (the 64 kB sender waits on nothing)');
  const fixed = await cli(['fix', file, '--line', String(waits[0].line), '--pattern', 'select-context']);
  assert.equal(fixed.code, 0, fixed.stderr);
  assert.match(fixed.stdout, fixedLooks);
  for (const [name, text, goes] of [[`unfixed-subscribe-${shape}`, original, false], [`fixed-subscribe-${shape}`, fixed.stdout, true]]) {
    const bin = build(name, text);
    const server = spawnTracked(bin, ['server'], { stdio: ['pipe', 'pipe', 'pipe'] });
    try {
      const { port } = await server.waitFor((e) => e.event === 'listening', 20000);
      const client = spawnTracked(bin, ['client', `127.0.0.1:${port}`, 'subscribe']);
      await client.waitFor((e) => e.event === 'asked', 20000);
      await server.waitFor((e) => e.event === 'subscribed', 20000);
      assert.ok((await goroutines(server)).subscribers >= 1, `${name}: the handler waits on its subscription`);
      // The client goes away: its connection closes and the server cancels the stream's context.
      client.kill();
      if (goes) {
        // The range ends as when the channel closes, so the code after the loop runs (here: return
        // nil); the select returns the context's status.
        const ended = await server.waitFor((e) => e.event === 'handler-returned', 20000, 'the handler to return');
        assert.equal(ended.method, '/grpc.testing.TestService/StreamingOutputCall');
        await until(async () => (await goroutines(server)).subscribers === 0, 10000, 'no goroutine left in the handler or untilDone');
      } else {
        // The server has cancelled the stream's context, and the handler goes on waiting.
        await server.waitFor((e) => e.event === 'stream-context-done', 20000, 'the stream context to end');
        assert.equal((await goroutines(server)).subscribers, 1, `${name}: the handler still waits on its channel after its client went`);
        assert.ok(!server.events.some((e) => e.event === 'handler-returned' && e.method.endsWith('/StreamingOutputCall')), 'the unfixed handler never returned');
      }
    } finally {
      server.kill();
    }
  }
});

test('the cleanup-on-end fix (TS/JS): a subscription listener leaves the bus when its call is cancelled; unfixed, every cancelled call leaves one behind', async () => {
  const { startClient } = require('./helpers/procs');
  const original = fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'subscription-server.js'), 'utf8');
  fs.mkdirSync(TMP, { recursive: true });
  const file = path.join(ROOT, 'test', 'fixtures', '.subscription-server.tmp.js');
  fs.writeFileSync(file, original);
  try {
    const lint = JSON.parse((await cli(['lint', file, '--json'])).stdout);
    const f = lint.filter((x) => x.rule === 'stream-subscription-outlives-call');
    assert.equal(f.length, 1, 'the bus listener is the one finding of its rule');
    const fixed = await cli(['fix', file, '--line', String(f[0].line), '--pattern', 'cleanup-on-end']);
    assert.equal(fixed.code, 0, fixed.stderr);
    for (const [name, text, left] of [['unfixed', original, 2], ['fixed', fixed.stdout, 0]]) {
      // Next to the original, so that it finds demo.proto and node_modules.
      fs.writeFileSync(file, text);
      const server = spawnTracked(process.execPath, [file], { stdio: ['pipe', 'pipe', 'pipe'] });
      try {
        const { port } = await server.waitFor((e) => e.event === 'listening', 20000);
        const count = async () => {
          const before = server.events.length;
          server.send('count');
          return (await server.waitFor((e) => e.event === 'count' && server.events.indexOf(e) >= before)).listeners;
        };
        // Two clients watch, then go away (the process ends: its connection closes, grpc-js cancels the calls).
        for (let i = 0; i < 2; i++) {
          const watcher = await startClient(port, 'watch');
          await server.waitFor((e) => e.event === 'watching' && server.events.filter((x) => x.event === 'watching').length === i + 1, 20000);
          watcher.kill();
        }
        await until(async () => (await count()) === left, 10000, `${name}: ${left} listeners left on the bus`);
        // And it stays so: a third client is served meanwhile, then goes too.
        const third = await startClient(port, 'watch');
        third.kill();
        await until(async () => (await count()) === left + (left ? 1 : 0), 10000, `${name}: after a third client`);
      } finally {
        server.kill();
      }
    }
  } finally {
    fs.rmSync(file, { force: true });
  }
});
