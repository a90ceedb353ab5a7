// The grpc-streams CLI as a user runs it: a real process against a real server.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const { startServer, startClient, cli, sleep, until, killAll } = require('./helpers/procs');
const { CLI_PATH, lib } = require('./helpers/lib');
const { findInspectorPorts } = lib('inspector/nodeProcesses.js');


test.after(killAll);

test('list --json has the documented shape, and a frozen stream turns suspect', async () => {
  const server = await startServer();
  const client = await startClient(server.port, 'upload');
  try {
    const at = ['--inspect', `127.0.0.1:${server.inspectPort}`];
    await cli(['list', ...at]); // installs the agent; counts start here
    client.freeze();
    await sleep(1500);
    const r = await cli(['list', ...at, '--json', '--idle-threshold', '1s']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.pid, server.pid);
    assert.equal(j.node, process.version);
    assert.deepEqual(j.grpcJs, ['1.14.7']);
    assert.deepEqual(Object.keys(j.servers[0]).sort(), ['addresses', 'grpcJsVersion', 'id', 'keepalive', 'methods']);
    assert.deepEqual(j.servers[0].keepalive.timeMs, null);
    assert.ok(j.servers[0].methods.some((m) => m.path === '/demo.Ingest/Upload' && m.kind === 'client_stream'));
    const s = j.streams[0];
    for (const key of ['id', 'serverId', 'method', 'kind', 'peer', 'startedAt', 'observedSince', 'lastReceivedAt', 'lastSentAt', 'received', 'sent', 'idleMs', 'deadline', 'state', 'suspect', 'reasons']) {
      assert.ok(key in s, `stream has ${key}`);
    }
    assert.equal(s.kind, 'client_stream');
    assert.ok(s.idleMs >= 1400, `idleMs ${s.idleMs}`);
    assert.equal(s.suspect, true);
    assert.ok(s.reasons.includes('server has no keepalive'));

    const text = await cli(['list', ...at, '--idle-threshold', '1s']);
    assert.match(text.stdout, /1 open streams, 1 suspect/);
    assert.match(text.stdout, /\/demo\.Ingest\/Upload\s+client_stream/);

    // cancel: refuses without --yes when it cannot ask, then ends the call with --yes.
    const noYes = await cli(['cancel', s.id, ...at]);
    assert.equal(noYes.code, 2);
    assert.match(noYes.stderr, /pass --yes/);
    const gone = s.id.replace(/-\d+$/, '-424242');
    const unknown = await cli(['cancel', gone, ...at, '--yes']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, new RegExp(`no open stream ${gone} in process ${server.pid}`));
    const notAnId = await cli(['cancel', 'c424242', ...at, '--yes']);
    assert.equal(notAnId.code, 1);
    assert.match(notAnId.stderr, /"c424242" is not a stream id/);
    const ok = await cli(['cancel', s.id, ...at, '--yes']);
    assert.equal(ok.code, 0, ok.stderr);
    await server.waitFor((e) => e.event === 'cancelled' && e.method === 'Upload', 5000, 'handler saw cancelled');

    const det = await cli(['detach', ...at]);
    assert.equal(det.code, 0, det.stderr);
    assert.match(det.stdout, /Detached/);
  } finally {
    client.kill();
    server.kill();
  }
});

test('--pid opens the inspector of a running server with SIGUSR1 and finds its port', async () => {
  const server = await startServer({ inspect: false, nodeArgs: ['--inspect-port=127.0.0.1:0'] });
  const client = await startClient(server.port, 'chat');
  try {
    const r = await cli(['list', '--pid', String(server.pid), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.pid, server.pid);
    assert.equal(j.streams.length, 1);
    assert.equal(j.streams[0].kind, 'bidi');
    // The inspector it opened is closed again: no port is left for another local user.
    await until(async () => (await findInspectorPorts(server.pid)).length === 0, 5000, 'the opened inspector to close');
    assert.match(server.stderr, /Debugger ending/);
  } finally {
    client.kill();
    server.kill();
  }
});

test('on a terminal, attaching shows its steps on one status line, and the JSON on stdout stays clean', async () => {
  const os = require('node:os');
  const fs = require('node:fs');
  const path = require('node:path');
  const server = await startServer();
  const client = await startClient(server.port, 'chat');
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'grpc-streams-tty-')), 'streams.json');
  try {
    // script(1) gives the CLI a real terminal as stderr; stdout goes to a file, as in `> streams.json`.
    const command = `${process.execPath} ${CLI_PATH} list --inspect 127.0.0.1:${server.inspectPort} --json > ${out}`;
    const terminal = await new Promise((resolve) => execFile('script', ['-qec', command, '/dev/null'], { timeout: 30000 }, (err, stdout) => resolve({ code: err ? err.code : 0, stdout })));
    assert.equal(terminal.code, 0);
    assert.match(terminal.stdout, /\r\x1b\[2KInstalling the agent…/, 'the first attach says what it is doing');
    assert.match(terminal.stdout, /\r\x1b\[2K$/, 'and clears the line when done');
    const j = JSON.parse(fs.readFileSync(out, 'utf8'));
    assert.equal(j.streams.length, 1);
  } finally {
    client.kill();
    server.kill();
  }
});

test('errors are one clear line and a non-zero exit', async () => {
  const closed = await cli(['list', '--inspect', '127.0.0.1:1']);
  assert.equal(closed.code, 1);
  assert.equal(closed.stderr.trim().split('\n').length, 1);
  assert.match(closed.stderr, /Nothing is listening on 127\.0\.0\.1:1/);
  const remote = await cli(['list', '--inspect', '203.0.113.9:9229']);
  assert.equal(remote.code, 1);
  assert.match(remote.stderr, /Refusing to attach to 203\.0\.113\.9:9229.*full code execution.*--allow-remote/);
  const none = await cli(['list']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /--inspect HOST:PORT or --pid PID/);
  const bad = await cli(['list', '--inspect', 'nonsense']);
  assert.match(bad.stderr, /not an inspector address/);
  const noProc = await cli(['list', '--pid', '999999']);
  assert.match(noProc.stderr, /no process with id 999999/);
  for (const cmd of ['list', 'watch', 'cancel', 'detach']) {
    const h = await cli([cmd, '--help']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, new RegExp(`Usage: grpc-streams ${cmd}`));
  }
});
