// The Streams tree's model: grouping, labels, statuses and which rows a tick changes.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { lib } = require('./helpers/lib');
const tm = lib('model/treeModel.js');
const { StreamStore } = lib('model/streamStore.js');
const { relationOf, describeProcess, childrenHint } = lib('extension/processRelations.js');

const settings = { idleWarningMs: 10000, suspectAfterMs: 30000, maxStreamsPerMethod: 2 };
const server = { id: 's1', grpcJsVersion: '1.14.7', addresses: ['127.0.0.1:50051'], keepalive: { timeMs: null, timeoutMs: null, maxConnectionIdleMs: null, maxConnectionAgeMs: null }, methods: [{ path: '/demo.Ingest/Upload', kind: 'client_stream' }, { path: '/demo.Ingest/Chat', kind: 'bidi' }] };
const stream = (id, over = {}) => ({ id, serverId: 's1', method: '/demo.Ingest/Upload', kind: 'client_stream', peer: `127.0.0.1:${4000 + Number(id.slice(1))}`, startedAt: 0, observedSince: 0, lastReceivedAt: 0, lastSentAt: null, received: 3, sent: 0, deadline: null, state: 'active', ...over });
const storeOf = (streams, now = 0) => new StreamStore({ agentVersion: 1, pid: 7, node: 'v20', now, seq: 1, grpcJs: ['1.14.7'], copies: [], servers: [server], streams, ended: [] }, now);

test('a stream row: peer as label, idle · counts · kind as description, status by thresholds', () => {
  assert.deepEqual(tm.streamRow(stream('c1'), server, 41000, settings), {
    id: 'c1', label: '127.0.0.1:4001', description: 'idle 41s · ↓3 ↑0 · client_stream', status: 'suspect',
    reasons: ['no message for 41 s', 'server has no keepalive', 'client has not half-closed'],
  });
  assert.equal(tm.streamRow(stream('c1'), server, 12000, settings).status, 'idle');
  assert.equal(tm.streamRow(stream('c1'), server, 5000, settings).status, 'active');
  assert.match(tm.streamRow(stream('c1', { state: 'half_closed' }), server, 1000, settings).description, /half-closed$/);
});

test('the tooltip lists every field of the record', () => {
  const s = stream('c1', { deadline: 5000 });
  const text = tm.streamTooltip(s, tm.streamRow(s, server, 41000, settings), 41000);
  for (const f of ['id: c1', 'peer: 127.0.0.1:4001', 'state: active', 'received: 3 · sent: 0', 'deadline: 1970-01-01T00:00:05.000Z', 'Suspect: no message for 41 s']) assert.ok(text.includes(f), f);
});

test('servers warn when no keepalive is in force', () => {
  assert.match(tm.serverView(server, 2, settings).warning, /No keepalive in force/);
  assert.equal(tm.serverView({ ...server, keepalive: { ...server.keepalive, timeMs: 2000 } }, 2, settings).warning, null);
  assert.equal(tm.serverView(server, 2, settings).description, '2 open · no keepalive · grpc-js 1.14.7');
});

test('grouping by method keeps every method of the server, and caps the listed streams', () => {
  const store = storeOf([stream('c1'), stream('c2', { lastReceivedAt: 5000 }), stream('c3', { lastReceivedAt: 9000 })]);
  const groups = tm.groupByMethod(store, 's1');
  assert.deepEqual([...groups.keys()], ['/demo.Ingest/Upload', '/demo.Ingest/Chat']);
  assert.equal(groups.get('/demo.Ingest/Chat').length, 0);
  const { shown, hidden } = tm.visibleStreams(groups.get('/demo.Ingest/Upload'), 10000, 2);
  assert.deepEqual(shown.map((s) => s.id), ['c1', 'c2'], 'most idle first');
  assert.equal(hidden, 1);
});

test('a tick changes only the rows whose text or status changed', () => {
  const store = storeOf([stream('c1', { lastReceivedAt: 0 }), stream('c2', { lastReceivedAt: 500 })]);
  const rendered = new Map([...store.streams.values()].map((s) => [s.id, tm.streamRow(s, server, 1000, settings)]));
  // 400 ms later: c1 is now idle 1s (unchanged text), c2 still 0s.
  assert.deepEqual(tm.changedRows(store, rendered, 1400, settings).map((r) => r.id), []);
  // At 1600: c2 idle 1s changes; c1 stays 1s.
  assert.deepEqual(tm.changedRows(store, rendered, 1600, settings).map((r) => r.id), ['c2']);
});

test('status bar text', () => {
  const store = storeOf([stream('c1'), stream('c2', { lastReceivedAt: 40000 })], 41000);
  const counts = tm.countSuspects([store], settings, 41000);
  assert.deepEqual(counts, { streams: 2, suspect: 1 });
  assert.equal(tm.statusBarText(counts), 'gRPC 2 streams · 1 suspect');
  assert.equal(tm.statusBarText({ streams: 1, suspect: 0 }), 'gRPC 1 stream · 0 suspect');
});

test('stale processes are named in a few words, the process row puts it first', () => {
  assert.equal(tm.healthNote('ok'), null);
  assert.equal(tm.healthNote('not-answering'), 'not answering: data is stale');
  assert.equal(tm.healthNote('agent-gone'), 'agent removed by another client');
  assert.equal(tm.healthDetail('ok'), null);
  assert.match(tm.healthDetail('not-answering'), /idle times are held/);
  assert.match(tm.healthDetail('agent-gone'), /Re-attach/);
  assert.equal(tm.processDescription('127.0.0.1:9229', 'v20.1.0', 3, 'ok'), '127.0.0.1:9229 · node v20.1.0 · 3 open');
  assert.equal(tm.processDescription('127.0.0.1:9229', 'v20.1.0', 3, 'not-answering'), 'not answering: data is stale · 127.0.0.1:9229 · node v20.1.0 · 3 open');
});

test('the status bar note: none while live, the note for one process, counts for several', () => {
  assert.equal(tm.staleSummary(['ok', 'ok']), null);
  assert.equal(tm.staleSummary(['not-answering']), 'not answering: data is stale');
  assert.equal(tm.staleSummary(['agent-gone']), 'agent removed by another client');
  assert.equal(tm.staleSummary(['ok', 'not-answering', 'agent-gone', 'agent-gone']), '1 not answering, 2 agents removed: data is stale');
  assert.equal(tm.statusBarText({ streams: 1, suspect: 1 }), 'gRPC 1 stream · 1 suspect');
});

test('judged at a held clock, idle times and suspects stop where the process last answered', () => {
  // The store's clock is the target's: local 100 000 is target 101 000.
  const store = new StreamStore({ agentVersion: 1, pid: 7, node: 'v20', now: 101_000, seq: 1, grpcJs: ['1.14.7'], copies: [], servers: [server], streams: [stream('c1', { lastReceivedAt: 80_000 })], ended: [] }, 100_000);
  const heldAt = 100_000;
  const later = 200_000;
  assert.equal(tm.streamRow(store.streams.get('c1'), server, store.now(heldAt), settings).description, 'idle 21s · ↓3 ↑0 · client_stream');
  assert.deepEqual(tm.countSuspects([store], settings, heldAt), { streams: 1, suspect: 0 }, 'not yet suspect where it was held');
  assert.deepEqual(tm.countSuspects([store], settings, later), { streams: 1, suspect: 1 }, 'a live clock would blame the client');
});

test('liveness and queue in a stream row: dead first and marked, a live client\'s round trip last, big queues named', () => {
  const dead = tm.streamRow(stream('c1', { liveness: 'dead', livenessCheckedAt: 40000, connectionId: 'k1' }), server, 41000, settings);
  assert.equal(dead.status, 'dead');
  assert.equal(dead.description, 'dead · idle 41s · ↓3 ↑0 · client_stream');
  assert.equal(dead.reasons[0], 'the client did not answer a PING: it is gone');
  // Dead is known at once, before any silence threshold.
  assert.equal(tm.streamRow(stream('c1', { liveness: 'dead' }), server, 1000, settings).status, 'dead');
  const alive = tm.streamRow(stream('c1', { liveness: 'alive', rttMs: 0.28 }), server, 5000, settings);
  assert.equal(alive.status, 'active');
  assert.equal(alive.description, 'idle 5s · ↓3 ↑0 · client_stream · alive 0.3 ms');
  const flooded = tm.streamRow(stream('c1', { kind: 'server_stream', lastSentAt: 5000, queuedBytes: 6.2 * 1024 * 1024 }), server, 5000, settings);
  assert.equal(flooded.status, 'suspect');
  assert.equal(flooded.description, 'idle 0s · ↓3 ↑0 · server_stream · 6.2 MB queued');
  assert.match(flooded.reasons[0], /^the client stopped reading: 6\.2 MB queued$/);
  // A few bytes in a buffer for an instant after each write are not named.
  assert.equal(tm.streamRow(stream('c1', { queuedBytes: 90 }), server, 1000, settings).description, 'idle 1s · ↓3 ↑0 · client_stream');
  // Under a connection, whose label is the peer, a stream row names its method.
  assert.equal(tm.streamRow(stream('c1'), server, 1000, settings, 'method').label, 'demo.Ingest/Upload');
});

test('the tooltip says what the PING told, when, and what is queued', () => {
  const s = stream('c1', { connectionId: 'kq-3', liveness: 'dead', livenessCheckedAt: 35000, queuedBytes: 2048 });
  const text = tm.streamTooltip(s, tm.streamRow(s, server, 41000, settings), 41000);
  assert.ok(text.includes('connection: kq-3 · client: the client did not answer a PING (6 s ago): it is gone'), text);
  assert.ok(text.includes('queued: 2 kB written by the handler and not yet taken by the client'), text);
  assert.ok(text.includes('Dead: the client did not answer a PING: it is gone'), text);
  const unknown = stream('c2', { connectionId: 'kq-4', liveness: 'unknown', livenessCheckedAt: null, queuedBytes: null });
  const t2 = tm.streamTooltip(unknown, tm.streamRow(unknown, server, 1000, settings), 1000);
  assert.match(t2, /client: not probed yet/);
  assert.match(t2, /queued: not known/);
});

test('grouping by connection: dead connections first, then not probed, then alive; by peer within; the latest PING counts', () => {
  const on = (id, connectionId, peer, over = {}) => stream(id, { connectionId, peer, ...over });
  const store = storeOf([
    on('c1', 'k-1', '127.0.0.1:5003', { liveness: 'alive', rttMs: 0.3, livenessCheckedAt: 100 }),
    on('c2', 'k-1', '127.0.0.1:5003', { method: '/demo.Ingest/Chat', kind: 'bidi', liveness: 'alive', rttMs: 0.5, livenessCheckedAt: 200 }),
    on('c3', 'k-2', '127.0.0.1:5001', { liveness: 'alive', rttMs: 0.2, livenessCheckedAt: 100 }),
    on('c4', 'k-3', '127.0.0.1:5009', { liveness: 'dead', livenessCheckedAt: 300 }),
    on('c5', 'k-3', '127.0.0.1:5009', { liveness: 'dead', livenessCheckedAt: 300 }),
    on('c6', 'k-4', '127.0.0.1:5002', { liveness: 'unknown', livenessCheckedAt: null }),
    on('c7', '', '127.0.0.1:5008'),
    on('c8', 'k-9', '127.0.0.1:5000', { serverId: 's2', liveness: 'dead' }),
  ]);
  const groups = tm.groupByConnection(store, 's1');
  assert.deepEqual(groups.map((g) => [g.key, g.liveness, g.streams.map((s) => s.id)]), [
    ['k-3', 'dead', ['c4', 'c5']],
    ['k-4', 'unknown', ['c6']],
    ['peer:127.0.0.1:5008', 'unknown', ['c7']],
    ['k-2', 'alive', ['c3']],
    ['k-1', 'alive', ['c1', 'c2']],
  ]);
  assert.equal(groups[4].rttMs, 0.5, 'the latest answer');
  const dead = tm.connectionRow(groups[0], 1300);
  assert.deepEqual([dead.label, dead.description, dead.liveness], ['127.0.0.1:5009', 'dead · 2 open', 'dead']);
  assert.match(dead.tooltip, /^Connection k-3 from 127\.0\.0\.1:5009: 2 open streams\nClient: the client did not answer a PING \(1 s ago\): it is gone\./);
  assert.match(dead.tooltip, /Cancel Dead Streams/);
  assert.equal(tm.connectionRow(groups[1], 1300).description, 'not probed yet · 1 open');
  assert.equal(tm.connectionRow(groups[4], 1300).description, 'alive 0.5 ms · 2 open');
  const flooded = tm.groupByConnection(storeOf([on('c1', 'k-1', 'p', { queuedBytes: 3 * 1024 * 1024 })]), 's1');
  assert.equal(tm.connectionRow(flooded[0], 0).description, 'not probed yet · 1 open · 3.0 MB queued');
});

test('dead streams are counted with their connections, per process or per server; the server row says how many', () => {
  const streams = [
    stream('c1', { liveness: 'dead', connectionId: 'k-1' }),
    stream('c2', { liveness: 'dead', connectionId: 'k-1' }),
    stream('c3', { liveness: 'dead', connectionId: 'k-2', serverId: 's2' }),
    stream('c4', { liveness: 'alive', connectionId: 'k-3' }),
    stream('c5', { liveness: 'dead', connectionId: '', peer: 'unix:/tmp/x' }),
  ];
  assert.deepEqual(tm.deadStreams(streams), { streams: 4, connections: 3, ids: ['c1', 'c2', 'c3', 'c5'] });
  assert.deepEqual(tm.deadStreams(streams, 's1'), { streams: 3, connections: 2, ids: ['c1', 'c2', 'c5'] });
  assert.equal(tm.serverView(server, 4, settings, 3).description, '4 open · 3 dead · no keepalive · grpc-js 1.14.7');
  assert.equal(tm.serverView(server, 4, settings, 0).description, '4 open · no keepalive · grpc-js 1.14.7');
});

test('Cancel Dead Streams and Probe Connections say what they will do and what they did in one sentence', () => {
  assert.equal(tm.cancelDeadQuestion({ streams: 2, connections: 1 }, 'process 42'), 'Cancel 2 streams on 1 connection of process 42 whose client does not answer a PING?');
  assert.equal(tm.cancelDeadQuestion({ streams: 1, connections: 1 }, 'server 127.0.0.1:50051'), 'Cancel 1 stream on 1 connection of server 127.0.0.1:50051 whose client does not answer a PING?');
  assert.equal(tm.cancelDeadResult({ cancelled: ['a', 'b'], failed: [] }, 1), 'Cancelled 2 dead streams on 1 connection: their calls have ended.');
  assert.equal(tm.cancelDeadResult({ cancelled: ['a'], failed: [{ id: '1-x-2', error: 'Stream 1-x-2 was sent CANCELLED and reset, but grpc-js has not ended the call yet.' }, { id: '1-x-3', error: 'no' }] }, 1),
    'Cancelled 1 of 3 dead streams on 1 connection; 2 did not end (1-x-2: Stream 1-x-2 was sent CANCELLED and reset, but grpc-js has not ended the call yet, and 1 more).');
  assert.equal(tm.cancelDeadResult({ cancelled: ['a'], failed: [] }, 1), 'Cancelled 1 dead stream on 1 connection: its call has ended.');
  assert.match(tm.cancelDeadResult({ cancelled: [], failed: [] }, 0), /^No dead stream was left to cancel/);
  assert.equal(tm.probeResult(0, { streams: 0, connections: 0 }), 'No connection to probe: no stream is open.');
  assert.equal(tm.probeResult(3, { streams: 0, connections: 0 }), 'Probed 3 connections: every client answered its PING.');
  assert.equal(tm.probeResult(3, { streams: 2, connections: 1 }), 'Probed 3 connections: 1 did not answer (2 streams dead), 2 answered.');
});

test('probe settings for the agent: the idle warning threshold decides when a connection is asked', () => {
  const p = tm.probeSettingsFor({ idleWarningMs: 30000, probeEnabled: true, probeTimeoutMs: 5000, probeMinIntervalMs: 10000 });
  assert.deepEqual(p, { enabled: true, timeoutMs: 5000, minIntervalMs: 10000, idleMs: 30000 });
  assert.equal(tm.sameProbeSettings(p, { ...p }), true);
  assert.equal(tm.sameProbeSettings(undefined, p), false, 'never sent');
  assert.equal(tm.sameProbeSettings(p, { ...p, idleMs: 2000 }), false);
  assert.equal(tm.sameProbeSettings(p, { ...p, enabled: false }), false);
});

test('a tick compares rows labelled as the grouping labels them', () => {
  const store = storeOf([stream('c1', { lastReceivedAt: 0 })]);
  const rendered = new Map([['c1', tm.streamRow(store.streams.get('c1'), server, 1000, settings, 'method')]]);
  assert.deepEqual(tm.changedRows(store, rendered, 1200, settings, 'method'), []);
  assert.deepEqual(tm.changedRows(store, rendered, 1200, settings).map((r) => r.id), ['c1'], 'a peer label differs');
});

test('the process picker says which processes are cluster workers or started by another Node process', () => {
  const proc = (pid, parentPid, parentIsNode, over = {}) => ({ pid, command: `node app-${pid}.js`, parentPid, parentIsNode, inspectorPorts: [], canOpenInspector: true, ...over });
  const primary = proc(100, 1, false);
  const workers = [proc(101, 100, true), proc(102, 100, true)];
  const wrapper = proc(200, 1, false);
  const program = proc(201, 200, true, { inspectorPorts: [9229] });
  const all = [primary, ...workers, wrapper, program];
  const isWorker = (pid) => pid === 101 || pid === 102;
  assert.equal(relationOf(primary, all, isWorker), 'cluster primary of 101, 102');
  assert.equal(relationOf(workers[0], all, isWorker), 'cluster worker of 100');
  assert.equal(relationOf(wrapper, all, isWorker), 'started Node process 201');
  assert.equal(relationOf(program, all, isWorker), 'started by Node process 200');
  assert.equal(relationOf(proc(300, 1, false), all, isWorker), '');
  assert.equal(describeProcess(program, relationOf(program, all, isWorker)).description, 'started by Node process 200 · inspector open on 127.0.0.1:9229');
  assert.equal(describeProcess(primary).description, 'inspector closed: will be opened (SIGUSR1)');
  assert.equal(childrenHint(100, []), '');
  assert.equal(childrenHint(100, [101, 102]), ' Process 100 started the Node processes 101, 102 (cluster workers, or the program a wrapper such as npx or tsx runs): pick one of those in Attach to Process.');
  assert.match(childrenHint(200, [201]), /started the Node process 201 .*pick that one/);
});

test('polled sources: the status bar counts connections; a poll reports only what changed; a Go group counts as its goroutines', () => {
  const { statusBarText, countSuspects, streamRow } = lib('model/treeModel.js');
  const { StreamStore } = lib('model/streamStore.js');
  const { channelzConnectionView } = lib('model/connectionTree.js');
  assert.equal(statusBarText({ streams: 0, suspect: 0, connections: 3, suspectConnections: 1 }), 'gRPC 3 connections · 1 suspect');
  assert.equal(statusBarText({ streams: 2, suspect: 1, connections: 1, suspectConnections: 0 }), 'gRPC 2 streams · 1 suspect · 1 connection · 0 suspect');
  assert.equal(statusBarText({ streams: 1, suspect: 0 }), 'gRPC 1 stream · 0 suspect');
  const conn = (id, over = {}) => ({ id, serverId: '1', remote: `127.0.0.1:${id}`, local: '127.0.0.1:50051', openStreams: 1, streamsStarted: 1, messagesSent: 0, messagesReceived: 1, keepalivesSent: 0, keepalivesBefore: 0, lastMessageReceivedAt: 1000, lastMessageSentAt: null, lastRemoteStreamCreatedAt: 1000, localWindow: 65535, remoteWindow: 65535, ...over });
  const server = { id: '1', library: 'channelz', grpcJsVersion: null, addresses: ['127.0.0.1:50051'], keepalive: null, methods: [] };
  const snap = (connections, streams = []) => ({ pid: 0, node: '', grpcJs: [], now: 100_000, servers: [server], streams, ended: [], connections });
  const store = new StreamStore(snap([conn('1'), conn('2')]), 100_000);
  const again = store.reset(snap([conn('1'), conn('3')]), 100_000, true);
  assert.deepEqual(again.connections, { updated: ['3'], removed: ['2'] });
  assert.equal(again.serversChanged, false, 'the same servers: their rows are left alone');
  const counts = countSuspects([store], { idleWarningMs: 1000, suspectAfterMs: 2000, maxStreamsPerMethod: 10 }, 100_000);
  assert.deepEqual(counts, { streams: 0, suspect: 0, connections: 2, suspectConnections: 2 });
  const view = channelzConnectionView(conn('4', { keepalivesSent: 3, keepalivesBefore: 3 }), 100_000, 2000);
  assert.deepEqual([view.label, view.description, view.suspect], ['127.0.0.1:4', '1 open · idle 99s · 3 keepalives', true]);
  assert.match(view.tooltip, /Suspect: 1 open stream, nothing received for 99 s, and the server sent no keepalive ping since we started watching/);
  // A group of 40 identical Go stacks: one row, forty goroutines.
  const group = { id: 'sabc', serverId: 'grpc-go', method: '/pkg.Svc/Upload', kind: null, peer: null, startedAt: null, observedSince: 90_000, received: null, sent: null, lastReceivedAt: null, lastSentAt: null, deadline: null, state: null, connectionId: null, queuedBytes: null, liveness: 'unknown', livenessCheckedAt: null, rttMs: null, source: 'go-pprof', goroutine: null, goroutines: 40, waitsAt: { file: '/src/main.go', line: 49, function: 'main.(*server).Upload' }, waiting: 'recv', waitReason: null, waitingSince: 90_000, waitingSinceBasis: 'first-seen' };
  const goStore = new StreamStore({ pid: 0, node: '', grpcJs: [], now: 100_000, servers: [{ id: 'grpc-go', library: 'grpc-go v1.75.0', grpcJsVersion: null, addresses: [], keepalive: null, methods: [] }], streams: [group], ended: [] }, 100_000);
  assert.deepEqual(countSuspects([goStore], { idleWarningMs: 1000, suspectAfterMs: 2000, maxStreamsPerMethod: 10 }, 100_000), { streams: 40, suspect: 40 });
  const row = streamRow(group, goStore.servers.get('grpc-go'), 100_000, { idleWarningMs: 1000, suspectAfterMs: 2000, maxStreamsPerMethod: 10 });
  assert.deepEqual([row.label, row.description, row.status], ['40 goroutines', 'recv 10s · main.go:49', 'suspect']);
  assert.deepEqual(row.reasons, ['no message for 10 s (since first seen waiting there)', "keepalive unknown (this source cannot read the server's options)"]);
});
