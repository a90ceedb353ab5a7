// Any gRPC server through channelz: the connections of a real grpc-js server with its admin
// services, read by the CLI as a user would.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const fs = require('node:fs');
const { spawnSync } = require('node:child_process');
const { startServer, startClient, cli, until, killAll, spawnTracked, ROOT, FIXTURES } = require('./helpers/procs');
const { lib } = require('./helpers/lib');
const { judgeConnection, trackConnections } = lib('sources/channelz/connections.js');

test.after(killAll);

const listJson = async (port, extra = []) => {
  const r = await cli(['list', '--channelz', `127.0.0.1:${port}`, '--json', ...extra]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
};

test('channelz: each client connection with its open streams; silent ones with no keepalive are suspect; our own polls are not listed', async () => {
  const server = await startServer({ env: { CHANNELZ: '1' } });
  const a = await startClient(server.port, 'upload,chat');
  const b = await startClient(server.port, 'watch');
  try {
    b.freeze();
    const doc = await until(async () => {
      const d = await listJson(server.port, ['--idle-threshold', '1s']);
      return d.connections.length === 2 && d.connections.every((c) => c.suspect) && d;
    }, 20000, 'two silent connections');
    assert.equal(doc.source, 'channelz');
    assert.deepEqual(doc.servers.map((s) => s.addresses), [[`127.0.0.1:${server.port}`]]);
    assert.deepEqual(doc.connections.map((c) => c.openStreams).sort(), [1, 2]);
    for (const c of doc.connections) {
      assert.match(c.remote, /^127\.0\.0\.1:\d+$/);
      assert.equal(c.keepalivesSent, 0);
      assert.ok(c.idleMs > 1000);
      assert.match(c.reasons[0], /^\d open streams?, nothing received for \d+ s, and the server sent no keepalive ping$/);
      assert.deepEqual(Object.keys(c), ['id', 'serverId', 'remote', 'openStreams', 'lastMessageReceivedAt', 'lastMessageSentAt', 'keepalivesSent', 'localWindow', 'remoteWindow', 'idleMs', 'suspect', 'reasons']);
    }
    const text = await cli(['list', '--channelz', `127.0.0.1:${server.port}`, '--idle-threshold', '1s']);
    assert.match(text.stdout, /1 server, 2 connections, 2 suspect/);
  } finally {
    a.kill();
    b.kill();
    server.kill();
  }
});

test('channelz: a server whose keepalive pings its clients is not suspect for silence; clear errors for the rest', async () => {
  const server = await startServer({ env: { CHANNELZ: '1', KEEPALIVE_MS: '300', KEEPALIVE_TIMEOUT_MS: '5000' } });
  const a = await startClient(server.port, 'upload');
  try {
    const doc = await until(async () => {
      const d = await listJson(server.port, ['--idle-threshold', '1s']);
      return d.connections.length === 1 && d.connections[0].keepalivesSent > 0 && d.connections[0].idleMs > 1000 && d;
    }, 20000, 'keepalive pings on a silent connection');
    assert.equal(doc.connections[0].suspect, false);
  } finally {
    a.kill();
    server.kill();
  }
  const plain = await startServer();
  try {
    const r = await cli(['list', '--channelz', `127.0.0.1:${plain.port}`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is a gRPC server without channelz: add it/);
  } finally {
    plain.kill();
  }
  const closed = await cli(['list', '--channelz', '127.0.0.1:1']);
  assert.equal(closed.stderr, 'grpc-streams: Nothing is listening on 127.0.0.1:1.\n');
  const bad = await cli(['list', '--channelz', 'nonsense']);
  assert.equal(bad.code, 2);
  // A client that stopped reading: its window toward us is 0 (judged from channelz's numbers).
  const stuck = judgeConnection({ id: '9', serverId: '1', remote: 'r', local: 'l', openStreams: 1, streamsStarted: 1, messagesSent: 9, messagesReceived: 1, keepalivesSent: 3, lastMessageReceivedAt: 0, lastMessageSentAt: 0, lastRemoteStreamCreatedAt: 0, localWindow: 65535, remoteWindow: 0, sendWindow: 0 }, 10_000, 60_000, 3);
  assert.deepEqual(stuck.reasons, ['the client stopped reading: its flow-control window is 0']);
});

test('channelz over TLS: --tls with --ca and --server-name reads it; a wrong or missing CA, TLS against plaintext and plaintext against TLS each say what to change', async () => {
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'channelz-tls-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=admin.test', '-addext', 'subjectAltName=DNS:admin.test', '-keyout', key, '-out', cert], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const server = await startServer({ env: { CHANNELZ: '1', TLS_CERT: cert, TLS_KEY: key } });
  const plain = await startServer({ env: { CHANNELZ: '1' } });
  try {
    const at = `127.0.0.1:${server.port}`;
    const ok = await cli(['list', '--channelz', at, '--tls', '--ca', cert, '--server-name', 'admin.test', '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(JSON.parse(ok.stdout).servers.map((s) => s.addresses), [[at]]);
    const untrusted = await cli(['list', '--channelz', at, '--tls', '--server-name', 'admin.test']);
    assert.equal(untrusted.code, 1);
    assert.match(untrusted.stderr, new RegExp(`^grpc-streams: ${at}'s TLS certificate is not trusted: .+ Give its CA with --ca, or the name it was issued for with --server-name\.\n$`));
    const wrongName = await cli(['list', '--channelz', at, '--tls', '--ca', cert]);
    assert.match(wrongName.stderr, /TLS certificate is not trusted: .*(altnames|IP).* --server-name\.\n$/);
    const plaintext = await cli(['list', '--channelz', at]);
    assert.equal(plaintext.stderr, `grpc-streams: Nothing answers gRPC in plaintext on ${at}: if its admin port uses TLS, add --tls.\n`);
    const tlsToPlain = await cli(['list', '--channelz', `127.0.0.1:${plain.port}`, '--tls']);
    assert.equal(tlsToPlain.stderr, `grpc-streams: 127.0.0.1:${plain.port} does not speak TLS: leave out --tls (and --ca, --server-name).\n`);
    const noCa = await cli(['list', '--channelz', at, '--tls', '--ca', path.join(dir, 'missing.pem')]);
    assert.match(noCa.stderr, /^grpc-streams: Cannot read the CA file .*missing\.pem: /);
  } finally {
    server.kill();
    plain.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('channelz wire format: ids past 2^53 stay exact, and a cut or foreign message is refused with a reason', () => {
  const { encodeVarints, decodeFields, id, int, WireError } = lib('sources/channelz/protoWire.js');
  const big = '9007199254740993'; // 2^53 + 1
  const f = decodeFields(encodeVarints([[1, big], [2, 100], [3, true], [4, 0]]));
  assert.deepEqual([id(f, 1), int(f, 2), int(f, 3), f.has(4)], [big, 100, 1, false]);
  assert.throws(() => decodeFields(Uint8Array.from([0x0a, 0x05, 0x01])), (e) => e instanceof WireError && /runs past the end/.test(e.message));
  assert.throws(() => decodeFields(Uint8Array.from([0x0b])), (e) => e instanceof WireError && /wire type 3/.test(e.message));
});

test('channelz without message times (grpc-go 1.63 to 1.81 store a count there): idle is judged by watching the counts, never from 1970', () => {
  // Measured here on grpc-go 1.75: last_message_received_timestamp is 1970-01-01T00:00:00.000000005Z after 5 messages.
  const conn = (received) => ({ id: '7', serverId: '1', remote: '127.0.0.1:5000', local: '127.0.0.1:50051', openStreams: 1, streamsStarted: 1, messagesSent: received, messagesReceived: received, keepalivesSent: 0, lastMessageReceivedAt: null, lastMessageSentAt: null, lastRemoteStreamCreatedAt: 1_000, localWindow: 65535, remoteWindow: 65535 });
  const seen = new Map();
  const judge = (received, now) => judgeConnection(trackConnections([conn(received)], new Set(), seen, now)[0], now, 5_000);
  const first = judge(5, 100_000);
  assert.deepEqual([first.idleMs, first.suspect], [null, false], 'one read cannot tell how long it has been quiet');
  assert.deepEqual([judge(6, 102_000).idleMs, judge(9, 104_000).idleMs], [0, 0], 'a count that moves: a chatting client');
  const quiet = judge(9, 112_000);
  assert.equal(quiet.idleMs, 8_000);
  assert.deepEqual(quiet.reasons, ['1 open stream, nothing received in the 8 s we watched, and the server sent no keepalive ping']);
  // Nothing received at all on an open stream: idle since the client opened it.
  assert.equal(judgeConnection(conn(0), 100_000, 5_000).idleMs, 99_000);
});


/**
 * What every server's channelz must show, the same for each implementation: beside a healthy
 * client that chats every 200 ms, a client frozen with SIGSTOP holding an open stream turns suspect
 * and the healthy one does not; a closed connection leaves the list; and more connections than a
 * page (100) are all read, each once. `frozenClient` and `healthyClient` resolve once their stream
 * is open.
 */
async function channelzHolds(port, { healthyClient, frozenClient }) {
  const healthy = await healthyClient();
  const healthyUp = await until(async () => { const d = await listJson(port); return d.connections.some((c) => c.openStreams >= 1) && d; }, 20000, 'the healthy client\'s stream');
  const known = new Set(healthyUp.connections.map((c) => c.id));
  const frozen = await frozenClient();
  let many;
  try {
    // Frozen once the server holds its stream: a client's "ready" or "sent" says only that it queued it.
    await until(async () => (await listJson(port)).connections.some((c) => !known.has(c.id) && c.openStreams >= 1), 20000, 'the frozen client\'s stream open at the server');
    frozen.freeze();
    // Watched as the extension and `watch` do: C-core counts its own BDP pings as keepalives, so
    // a connection is judged by the pings sent since it was first seen, not by its total.
    const { ChannelzPoller } = lib('sources/channelz/channelzPoller.js');
    const { judgedConnection } = lib('model/connectionTree.js');
    const poller = await ChannelzPoller.start({ address: `127.0.0.1:${port}` }, 60000);
    let judged;
    let last = [];
    try {
      // The state to reach: the frozen client's connection suspect, the chatting one not.
      judged = await until(async () => {
        const snap = await poller.refresh();
        // 5 s: long past the chatting client's 200 ms, even on a loaded machine.
        last = snap.connections.map((c) => judgedConnection(c, snap.now, 5000));
        return last.length === 2 && last.filter((c) => c.suspect).length === 1 && last;
      }, 30000, 'one suspect connection (the frozen client\'s) beside a chatting one').catch((e) => {
        throw new Error(`${e.message}; last read: ${JSON.stringify(last.map((c) => ({ remote: c.remote, open: c.openStreams, idleMs: c.idleMs, keepalives: c.keepalivesSent, before: c.keepalivesBefore, windows: [c.localWindow, c.remoteWindow], reasons: c.reasons })))}`);
      });
    } finally {
      await poller.close();
    }
    const bad = judged.find((c) => c.suspect);
    const good = judged.find((c) => !c.suspect);
    assert.equal(bad.openStreams, 1);
    assert.match(bad.remote, /^127\.0\.0\.1:\d+$/);
    assert.match(bad.reasons[0], /^1 open stream, nothing received (for|in the) \d+ s( we watched)?, and the server sent no keepalive ping( since we started watching)?$/);
    assert.equal(good.openStreams, 1);
    assert.ok(good.idleMs < 5000 && good.idleMs < bad.idleMs, `the chatting client sent recently (${good.idleMs} ms ago)`);
    // A connection whose call a handler still holds can stay listed after its socket closed (seen
    // with the Python server); connections without calls must leave once closed.
    frozen.kill();
    const before = new Set((await listJson(port)).connections.map((c) => c.id));
    // 120 more connections (each client its own subchannel pool): channelz pages them 100 at a time.
    many = spawnTracked(process.execPath, ['-e', `
      const grpc = require('@grpc/grpc-js');
      let ready = 0;
      for (let i = 0; i < 120; i++) {
        const c = new grpc.Client('127.0.0.1:${port}', grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
        c.waitForReady(Date.now() + 20000, (e) => { if (e) throw e; if (++ready === 120) console.log(JSON.stringify({ event: 'ready' })); });
      }
      setInterval(() => {}, 1000);`], { cwd: ROOT });
    await many.waitFor((e) => e.event === 'ready', 30000);
    // The 120 new ones, whatever the frozen client's connection does meanwhile.
    const fresh = (d) => d.connections.filter((c) => !before.has(c.id));
    const paged = await until(async () => {
      const d = await listJson(port);
      return fresh(d).length >= 120 && d;
    }, 30000, '120 new connections, over two pages');
    assert.equal(new Set(paged.connections.map((c) => c.id)).size, paged.connections.length, 'no connection listed twice across pages');
    many.kill();
    await until(async () => fresh(await listJson(port)).length === 0, 30000, 'the 120 closed connections to leave the list');
    return judged;
  } finally {
    if (many) many.kill();
    healthy.kill();
    frozen.kill();
  }
}

test('channelz of a real grpc-js server (addAdminServicesToServer): frozen beside healthy, a closed connection leaves, paging', { timeout: 120000 }, async () => {
  const server = await startServer({ env: { CHANNELZ: '1' } });
  try {
    await channelzHolds(server.port, {
      healthyClient: () => startClient(server.port, 'chat', ['--chat-every', '200']),
      frozenClient: () => startClient(server.port, 'upload'),
    });
  } finally {
    server.kill();
  }
});

/** The ingest fixture (grpc-go, RegisterChannelzServiceToServer), built once. */
function ingestBinary() {
  const dir = path.join(ROOT, 'test', '.tmp', 'channelz-go');
  fs.mkdirSync(dir, { recursive: true });
  const bin = path.join(dir, 'ingest');
  const b = spawnSync('go', ['build', '-o', bin, './cmd/ingest'], { cwd: path.join(FIXTURES, 'analysis', 'gomod'), env: { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' }, encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  return bin;
}

test('channelz of a real grpc-go server: frozen beside healthy, a closed connection leaves, paging; flow-control windows', { timeout: 120000 }, async () => {
  const bin = ingestBinary();
  const server = spawnTracked(bin, ['server'], { env: { ...process.env, CHANNELZ: '1' } });
  const { port } = await server.waitFor((e) => e.event === 'listening', 20000);
  try {
    const judged = await channelzHolds(port, {
      healthyClient: async () => {
        const c = spawnTracked(bin, ['client', `127.0.0.1:${port}`, 'chat']);
        await c.waitFor((e) => e.event === 'chatting', 20000);
        return c;
      },
      frozenClient: async () => {
        const arrived = server.next((e) => e.event === 'received' && e.method.endsWith('/StreamingInputCall'), 20000, 'the silent client\'s first message at the server');
        const c = spawnTracked(bin, ['client', `127.0.0.1:${port}`, 'silent']);
        await c.waitFor((e) => e.event === 'sent', 20000);
        await arrived;
        return c;
      },
    });
    assert.ok(judged.every((c) => typeof c.remoteWindow === 'number' && typeof c.localWindow === 'number'), 'grpc-go reports flow-control windows');
    // This fixture's grpc-go (1.75) gives no message times: one read says so instead of guessing.
    const silent = spawnTracked(bin, ['client', `127.0.0.1:${port}`, 'silent']);
    try {
      await silent.waitFor((e) => e.event === 'sent', 20000);
      const doc = await until(async () => { const d = await listJson(port); return d.connections.length === 1 && d; }, 20000, 'the silent client\'s connection');
      assert.deepEqual([doc.connections[0].idleMs, doc.connections[0].suspect, doc.connections[0].lastMessageReceivedAt], [null, false, null]);
      assert.match(doc.notes[0], /^This server's channelz gives no times for the messages it received \(grpc-go 1\.63 to 1\.81 store a count there\), so idle is judged by watching the counts: run watch to see it\.$/);
    } finally {
      silent.kill();
    }
  } finally {
    server.kill();
  }
});

const PYTHON = path.join(process.env.GRPC_STREAMS_TOOLS || path.join(require('node:os').homedir(), '.cache', 'grpc-streams-tools'), 'py', 'bin', 'python');

test('channelz of a real Python server (grpcio, grpcio-channelz): frozen beside healthy, a closed connection leaves, paging', { timeout: 120000 }, async () => {
  assert.ok(fs.existsSync(PYTHON), `${PYTHON} with grpcio and grpcio-channelz (.ci/run installs them)`);
  const server = spawnTracked(PYTHON, [path.join(FIXTURES, 'python', 'channelz_server.py')]);
  const { port } = await server.waitFor((e) => e.event === 'listening', 20000);
  try {
    await channelzHolds(port, {
      healthyClient: () => startClient(port, 'chat', ['--chat-every', '200']),
      frozenClient: () => startClient(port, 'upload'),
    });
  } finally {
    server.kill();
  }
});

const JAVA_BUILD = path.join(ROOT, 'test', '.tmp', 'java-channelz');

test('channelz of a real grpc-java server (ChannelzService): frozen beside healthy, a closed connection leaves, paging; a client that stopped reading shows its window at 0', { timeout: 120000 }, async () => {
  const cp = path.join(JAVA_BUILD, 'cp.txt');
  assert.ok(fs.existsSync(cp), `${cp}: .ci/run builds the Java fixture (mvn in test/fixtures/java)`);
  const server = spawnTracked('java', ['-cp', `${path.join(JAVA_BUILD, 'classes')}:${fs.readFileSync(cp, 'utf8').trim()}`, 'ChannelzServer']);
  const { port } = await server.waitFor((e) => e.event === 'listening', 30000);
  let burst;
  try {
    const first = await listJson(port);
    assert.deepEqual(first.servers.map((s) => s.addresses), [[`127.0.0.1:${port}`]], 'the listen address, not grpc-java\'s socket name');
    await channelzHolds(port, {
      healthyClient: () => startClient(port, 'chat', ['--chat-every', '200']),
      frozenClient: () => startClient(port, 'upload'),
    });
    // A client that writes 16 kB messages on Chat as fast as it may, frozen while the server is
    // echoing: the echoes fill the window it grants the server (channelz.proto's local window, as
    // grpc-java reports it).
    const before = new Set((await listJson(port)).connections.map((c) => c.id));
    burst = spawnTracked(process.execPath, ['-e', `
      const grpc = require('@grpc/grpc-js');
      const c = new grpc.Client('127.0.0.1:${port}', grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
      const call = c.makeBidiStreamRequest('/demo.Ingest/Chat', (x) => x, (x) => x);
      call.on('error', () => {});
      call.on('data', () => {});
      const more = () => { while (call.write(Buffer.alloc(16384, 97))); };
      call.on('drain', more);
      more();
      setInterval(() => {}, 1 << 30);`], { cwd: ROOT });
    const { ChannelzPoller } = lib('sources/channelz/channelzPoller.js');
    const poller = await ChannelzPoller.start({ address: `127.0.0.1:${port}` }, 60000);
    try {
      await until(async () => (await poller.refresh()).connections.some((c) => !before.has(c.id) && c.messagesReceived >= 64), 30000, 'the burst client\'s messages at the server');
    } finally {
      await poller.close();
    }
    burst.freeze();
    const stuck = await until(async () => (await listJson(port)).connections.find((c) => c.reasons.includes('the client stopped reading: its flow-control window is 0')), 30000, 'the unread connection\'s window at 0');
    assert.equal(stuck.localWindow, 0);
    assert.ok(stuck.suspect);
  } finally {
    if (burst) burst.kill();
    server.kill();
  }
});
