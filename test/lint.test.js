// grpc-streams lint/fix as a user's CI runs them, and the behaviour of a fixed handler in a real
// grpc-js server whose client freezes.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { startServer, startClient, until, killAll, ROOT } = require('./helpers/procs');
const { CLI_PATH, AGENT_PATH, lib } = require('./helpers/lib');
const { AgentSession } = lib('inspector/agentSession.js');

const FIX = path.join(ROOT, 'test', 'fixtures', 'analysis');
const TMP = path.join(ROOT, 'test', '.tmp', 'lint');

function cli(args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI_PATH, ...args], { cwd: ROOT, timeout: 60000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

test.after(killAll);

test('lint --json lists findings with 1-based positions and exits 1; a clean tree exits 0', async () => {
  const r = await cli(['lint', path.join('test', 'fixtures', 'analysis'), '--json']);
  assert.equal(r.code, 1, r.stderr);
  const out = JSON.parse(r.stdout);
  const eof = out.find((f) => f.file.endsWith('go/eof_basic.go'));
  assert.deepEqual(eof, {
    file: path.join('test', 'fixtures', 'analysis', 'go', 'eof_basic.go'),
    line: 17,
    column: 13,
    rule: 'recv-without-idle-timeout',
    message: eof.message,
    fixes: ['context-aware', 'async-receive'],
  });
  assert.ok(out.some((f) => f.rule === 'stream-handler-ignores-cancel' && f.file.endsWith('for_await.ts')));
  assert.ok(out.some((f) => f.rule === 'server-without-keepalive' && f.file.endsWith('.go')));
  assert.ok(!out.some((f) => /golden$/.test(f.file)), 'expected outputs are not linted');
  assert.ok(!out.some((f) => f.file.endsWith('client_loop.go')), 'client streams are never findings');
  const clean = await cli(['lint', path.join('test', 'fixtures', 'analysis', 'go', 'client_loop.go')]);
  assert.equal(clean.code, 0);
  assert.match(clean.stderr, /No findings/);
  // 2, not 1: the lint could not run.
  const missing = await cli(['lint', 'no/such/dir']);
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr, 'grpc-streams lint: no/such/dir: no such file or directory\n');
});

test('a handler in a module of its own, with no grpc import, is found from the file that registers it; fix finds it too, and the fixed module parses and lints clean', async () => {
  const dir = path.join(FIX, 'handler-module');
  const r = await cli(['lint', dir, '--json']);
  assert.equal(r.code, 1, r.stderr);
  const found = JSON.parse(r.stdout).map((f) => `${path.basename(f.file)}:${f.line} ${f.rule}`);
  assert.deepEqual(found.sort(), ['chat.js:3 stream-handler-ignores-cancel', 'upload.js:4 stream-handler-ignores-cancel'], 'the registered handlers; tally is exported but registered nowhere');
  // Alone, the module says nothing: only what registers it makes it a handler module.
  const alone = await cli(['lint', path.join(dir, 'upload.js')]);
  assert.equal(alone.code, 0, alone.stdout);
  const work = path.join(TMP, 'handler-module');
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(work), { recursive: true });
  fs.cpSync(dir, work, { recursive: true });
  fs.mkdirSync(path.join(TMP, 'ts'), { recursive: true });
  fs.copyFileSync(path.join(FIX, 'ts', 'types.ts'), path.join(TMP, 'ts', 'types.ts'));
  const fixed = await cli(['fix', path.join(work, 'upload.js'), '--line', '4', '--pattern', 'async-receive', '--write']);
  assert.equal(fixed.code, 0, fixed.stderr);
  const check = await new Promise((resolve) => execFile(process.execPath, ['--check', path.join(work, 'upload.js')], (err, so, se) => resolve({ code: err ? 1 : 0, se })));
  assert.equal(check.code, 0, check.se);
  const after = await cli(['lint', work, '--json']);
  assert.deepEqual(JSON.parse(after.stdout || '[]').map((f) => path.basename(f.file)), ['chat.js']);
});

test('a range over a channel that a method of another file returns is a wait; a range over a slice a method returns is not', async () => {
  const r = await cli(['lint', path.join(FIX, 'gomod', 'channels'), '--json']);
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).map((f) => `${path.basename(f.file)}:${f.line} ${f.rule} [${f.fixes}]`), ['watch.go:15 stream-wait-ignores-context [select-context]']);
  // The file alone cannot tell what Subscribe returns: no finding rather than a guess.
  const alone = await cli(['lint', path.join(FIX, 'gomod', 'channels', 'watch.go')]);
  assert.equal(alone.code, 0, alone.stdout);
  const { channelResults } = lib('analysis/goChannelMethods.js');
  const facts = channelResults([
    'package a\n\nfunc (q *Q) Subscribe() (<-chan int, func()) {\n\treturn nil, nil\n}\n\nfunc Events[T any](n int) chan T {\n\treturn nil\n}\n',
    'package b\n\nfunc (r *R) Subscribe() ([]int, func()) {\n\treturn nil, nil\n}\n\nfunc (r *R) Updates() (ch <-chan int, err error) {\n\treturn\n}\n',
  ]);
  assert.deepEqual([facts.get('Subscribe/2'), facts.get('Events/1'), facts.get('Updates/2')], [false, true, true], 'a slice-returning namesake makes Subscribe unknown');
});

test('lint walks a tree with a link back up it and a broken link: each directory once, the broken link skipped', async () => {
  const dir = path.join(TMP, 'links');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'svc'), { recursive: true });
  fs.copyFileSync(path.join(FIX, 'go', 'eof_basic.go'), path.join(dir, 'svc', 'eof_basic.go'));
  fs.symlinkSync('..', path.join(dir, 'svc', 'up'));
  fs.symlinkSync('gone.go', path.join(dir, 'svc', 'broken.go'));
  const r = await cli(['lint', dir, '--json']);
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(
    JSON.parse(r.stdout).map((f) => `${path.basename(f.file)}:${f.line}`),
    ['eof_basic.go:17'],
  );
  // A path given on the command line must exist, link or not.
  const broken = await cli(['lint', path.join(dir, 'svc', 'broken.go')]);
  assert.equal(broken.code, 2);
  assert.match(broken.stderr, /broken\.go: no such file or directory/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('fix prints the fixed file, --write writes it, and the file then lints clean', async () => {
  fs.mkdirSync(TMP, { recursive: true });
  const file = path.join(TMP, 'eof_basic.go');
  fs.copyFileSync(path.join(FIX, 'go', 'eof_basic.go'), file);
  const printed = await cli(['fix', file, '--line', '17', '--pattern', 'async-receive', '--idle-timeout', '45s']);
  assert.equal(printed.code, 0, printed.stderr);
  assert.match(printed.stdout, /streamRecv := recvWithIdle\(stream\.Context\(\), stream\.Recv, recvIdleTimeout\)/);
  assert.match(printed.stdout, /\nconst recvIdleTimeout = 45 \* time\.Second\n/, 'the timeout is a named constant beside the helper');
  assert.equal(fs.readFileSync(file, 'utf8'), fs.readFileSync(path.join(FIX, 'go', 'eof_basic.go'), 'utf8'), 'printing changes nothing');
  const wrong = await cli(['fix', file, '--line', '17', '--pattern', 'keepalive']);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /keepalive fix does not apply there/);
  const bad = await cli(['fix', file, '--line', 'x', '--pattern', 'keepalive']);
  assert.equal(bad.code, 2);
  const written = await cli(['fix', file, '--line', '17', '--pattern', 'async-receive', '--write']);
  assert.equal(written.code, 0, written.stderr);
  // A second file of the same package does not get a second copy of the helper.
  const sibling = path.join(TMP, 'switch.go');
  fs.copyFileSync(path.join(FIX, 'go', 'switch.go'), sibling);
  const sib = await cli(['fix', sibling, '--line', '15', '--pattern', 'async-receive']);
  assert.equal(sib.code, 0, sib.stderr);
  assert.doesNotMatch(sib.stdout, /func recvWithIdle/);
  const relint = await cli(['lint', file]);
  assert.equal(relint.code, 0, relint.stdout);
});

async function fixedHandlerModule(kindOfFix, idleMs) {
  fs.mkdirSync(TMP, { recursive: true });
  const src = fs.readFileSync(path.join(FIX, 'ts', 'commonjs_server.js'), 'utf8');
  const file = path.join(TMP, `handlers-${kindOfFix}.js`);
  fs.writeFileSync(file, src);
  if (kindOfFix !== 'none') {
    // Fix both handlers: `upload` (for await) and `chat` (on('data')).
    for (const line of [15, 9]) {
      const r = await cli(['fix', file, '--line', String(line), '--pattern', kindOfFix, '--idle-timeout', `${idleMs}ms`, '--write']);
      assert.equal(r.code, 0, r.stderr);
    }
  }
  return file;
}

async function callsAfterFreeze(modulePath, kinds) {
  const server = await startServer({ script: 'handler-server.js', nodeArgs: ['--require', AGENT_PATH], args: [modulePath] });
  const client = await startClient(server.port, kinds);
  const session = await AgentSession.attach({ address: { host: '127.0.0.1', port: server.inspectPort }, agentPath: AGENT_PATH });
  return { server, client, session };
}

test('a fixed handler ends with DEADLINE_EXCEEDED within the idle timeout when its client freezes; the unfixed one never does', async () => {
  const idleMs = 1500;
  const fixed = await fixedHandlerModule('async-receive', idleMs);
  const unfixed = await fixedHandlerModule('none', idleMs);
  for (const [module, expectEnd] of [[fixed, true], [unfixed, false]]) {
    const { server, client, session } = await callsAfterFreeze(module, 'upload,chat');
    try {
      client.freeze();
      const frozenAt = Date.now();
      if (expectEnd) {
        const snap = await until(async () => {
          const s = await session.refresh();
          return s.streams.length === 0 && s;
        }, 10000, 'both calls to end');
        const ends = snap.ended.filter((e) => e.startedAt !== null);
        assert.deepEqual(ends.map((e) => e.statusCode), [4, 4], 'DEADLINE_EXCEEDED for upload (for await) and chat (on data)');
        assert.ok(Date.now() - frozenAt < idleMs + 5000);
      } else {
        await new Promise((r) => setTimeout(r, idleMs * 3));
        const snap = await session.refresh();
        assert.equal(snap.streams.length, 2, 'the unfixed handlers still wait');
      }
    } finally {
      session.close();
      client.kill();
      server.kill();
    }
  }
});

test('lint says when it cannot analyse a file: a syntax error (with its line) or a binary file exit 2, unless --allow-parse-errors', async () => {
  const dir = path.join(TMP, 'broken');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const whole = fs.readFileSync(path.join(FIX, 'go', 'eof_basic.go'), 'utf8');
  fs.writeFileSync(path.join(dir, 'truncated.go'), whole.slice(0, whole.indexOf('count++')));
  const r = await cli(['lint', path.join(dir, 'truncated.go')]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /truncated\.go:\d+: syntax error: the file does not parse/);
  assert.match(r.stderr, /No findings; 1 file could not be analysed\./);
  const allowed = await cli(['lint', path.join(dir, 'truncated.go'), '--allow-parse-errors']);
  assert.notEqual(allowed.code, 2);
  assert.match(allowed.stderr, /syntax error/);
  fs.writeFileSync(path.join(dir, 'blob.go'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 2]));
  const bin = await cli(['lint', path.join(dir, 'blob.go'), '--json']);
  assert.equal(bin.code, 2);
  assert.deepEqual(JSON.parse(bin.stdout), []);
  assert.match(bin.stderr, /blob\.go: not a text file/);
});

test('the Go helper goes into the package once, never only into a _test.go file, and needs Go 1.18', async () => {
  const dir = path.join(TMP, 'pkg');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const src = fs.readFileSync(path.join(FIX, 'go', 'eof_basic.go'), 'utf8');
  // A test file of the package got the helper first.
  fs.writeFileSync(path.join(dir, 'upload_test.go'), (await cli(['fix', path.join(FIX, 'go', 'eof_basic.go'), '--line', '17', '--pattern', 'async-receive'])).stdout.replace('func Register', 'func registerForTest'));
  fs.writeFileSync(path.join(dir, 'upload.go'), src);
  const fixed = await cli(['fix', path.join(dir, 'upload.go'), '--line', '17', '--pattern', 'async-receive']);
  assert.equal(fixed.code, 0, fixed.stderr);
  assert.match(fixed.stdout, /func recvWithIdle\[T any\]/, 'the package build gets its own helper');
  fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/old\n\ngo 1.17\n');
  const old = await cli(['fix', path.join(dir, 'upload.go'), '--line', '17', '--pattern', 'async-receive']);
  assert.equal(old.code, 1);
  assert.match(old.stderr, /needs Go 1\.18 \(generics\); this module says go 1\.17/);
});
