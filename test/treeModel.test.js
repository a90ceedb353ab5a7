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
