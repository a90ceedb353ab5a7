// Data shaping of the dashboard: series, histogram buckets, deltas, table, message validation.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { lib } = require('./helpers/lib');
const { samplePoint, SeriesBuffer, idleHistogram } = lib('dashboard/series.js');
const { DeltaAccumulator, parseWebviewMessage } = lib('dashboard/protocol.js');
const { toRow, filterRows, sortRows, visibleRange, clientCell, queuedCell } = lib('dashboard/table.js');

const server = { id: 's1', grpcJsVersion: '1.14.7', addresses: [], methods: [], keepalive: { timeMs: null, timeoutMs: null, maxConnectionIdleMs: null, maxConnectionAgeMs: null } };
const servers = new Map([['s1', server]]);
const stream = (id, over = {}) => ({ id, serverId: 's1', method: '/demo.Ingest/Upload', kind: 'client_stream', peer: '127.0.0.1:1', startedAt: 0, observedSince: 0, lastReceivedAt: 0, lastSentAt: null, received: 0, sent: 0, deadline: null, state: 'active', ...over });

test('a series point counts streams by kind and suspects; the buffer keeps the last 15 minutes', () => {
  const p = samplePoint([stream('c1'), stream('c2', { kind: 'bidi', lastReceivedAt: 59000 }), stream('c3', { kind: 'unary', state: 'half_closed', startedAt: 50000 })], servers, 61000, 60000);
  assert.deepEqual(p, { t: 61000, unary: 1, client_stream: 1, server_stream: 0, bidi: 1, suspect: 1 });
  const buf = new SeriesBuffer(900);
  for (let i = 0; i < 1000; i++) buf.push({ ...p, t: i });
  assert.equal(buf.length, 900);
  assert.equal(buf.all()[0].t, 100);
});

test('the idle histogram puts every stream in exactly one bucket', () => {
  const now = 1_000_000;
  const h = idleHistogram([0, 4999, 5000, 29_999, 30_000, 61_000, 400_000, 900_000].map((idle, i) => stream(`c${i}`, { lastReceivedAt: now - idle })), now);
  assert.deepEqual(h.map((b) => [b.label, b.count]), [['<5s', 2], ['5–15s', 1], ['15–30s', 1], ['30–60s', 1], ['1–2m', 1], ['2–5m', 0], ['5–15m', 1], ['≥15m', 1]]);
});

test('deltas carry only what changed: the latest record per stream, ended ones once', () => {
  const acc = new DeltaAccumulator();
  assert.equal(acc.isEmpty, true);
  acc.add([stream('c1', { received: 1 }), stream('c2')], []);
  acc.add([stream('c1', { received: 2 })], [{ id: 'c2' }]);
  const d = acc.take(5);
  assert.deepEqual(d.upserts.map((s) => [s.id, s.received]), [['c1', 2]]);
  assert.deepEqual(d.removed, ['c2']);
  assert.equal(d.servers, undefined);
  assert.equal(acc.isEmpty, true);
  // Proportional to changes: 10,000 known streams, 3 changed → 3 records.
  for (let i = 0; i < 3; i++) acc.add([stream(`c${i}`)], []);
  assert.equal(acc.take(6).upserts.length, 3);
});

test('messages from the webview are validated before anything acts on them', () => {
  // Stream ids are PID-EPOCH-N, as the agent makes them.
  assert.deepEqual(parseWebviewMessage({ type: 'cancelStream', streamId: '4242-k3x9a1-12' }), { ok: true, message: { type: 'cancelStream', streamId: '4242-k3x9a1-12' } });
  assert.equal(parseWebviewMessage({ type: 'goToHandler', streamId: 'c12' }).ok, false, 'the old id form');
  assert.equal(parseWebviewMessage({ type: 'goToHandler', streamId: `1-${'a'.repeat(80)}-1` }).ok, false, 'too long');
  assert.equal(parseWebviewMessage({ type: 'cancelStream' }).ok, false);
  assert.match(parseWebviewMessage({ type: 'cancelStream', streamId: 'c1; process.exit()' }).error, /without a valid stream id/);
  assert.match(parseWebviewMessage({ type: 'openKeepaliveFix', serverId: 42 }).error, /valid server id/);
  assert.match(parseWebviewMessage({ type: 'eval', code: '1' }).error, /unknown message type "eval"/);
  assert.match(parseWebviewMessage(null).error, /not an object/);
  assert.deepEqual(parseWebviewMessage({ type: 'ready', extra: 1 }), { ok: true, message: { type: 'ready' } });
  // The table's own actions carry nothing the extension would act on: it asks first, for its own process.
  assert.deepEqual(parseWebviewMessage({ type: 'cancelDeadStreams', attachmentId: 'p9' }), { ok: true, message: { type: 'cancelDeadStreams' } });
  assert.deepEqual(parseWebviewMessage({ type: 'probeConnections' }), { ok: true, message: { type: 'probeConnections' } });
});

test('table rows: filter by text and state, sort by any column, render only what is in view', () => {
  const now = 100_000;
  const rows = [
    toRow(stream('c1', { lastReceivedAt: 90_000 }), server, now, 60_000),
    toRow(stream('c2', { method: '/demo.Ingest/Chat', kind: 'bidi', lastReceivedAt: 10_000 }), server, now, 60_000),
    toRow(stream('c3', { state: 'half_closed', lastReceivedAt: 99_000 }), server, now, 60_000),
  ];
  assert.deepEqual(filterRows(rows, 'chat', 'all').map((r) => r.id), ['c2']);
  assert.deepEqual(filterRows(rows, '', 'suspect').map((r) => r.id), ['c2']);
  assert.deepEqual(filterRows(rows, '', 'half_closed').map((r) => r.id), ['c3']);
  assert.deepEqual(sortRows(rows, 'idle', true).map((r) => r.id), ['c2', 'c1', 'c3']);
  assert.deepEqual(sortRows(rows, 'method', false).map((r) => r.id), ['c2', 'c1', 'c3']);
  assert.deepEqual(visibleRange(0, 400, 26, 10_000), { start: 0, end: 26 });
  assert.deepEqual(visibleRange(26_000, 400, 26, 10_000), { start: 990, end: 1026 });
  assert.deepEqual(visibleRange(259_000, 400, 26, 10_000), { start: 9951, end: 9987 });
  assert.deepEqual(visibleRange(259_600, 400, 26, 10_000), { start: 9974, end: 10_000 }, 'scrolled to the end');
});

test('table rows: the client column (liveness) and the queue; filter by liveness, sort dead first', () => {
  const now = 100_000;
  const rows = [
    toRow(stream('c1', { connectionId: 'k-1', liveness: 'alive', rttMs: 0.31, livenessCheckedAt: 99_000, queuedBytes: 0 }), server, now, 60_000),
    toRow(stream('c2', { connectionId: 'k-2', liveness: 'dead', livenessCheckedAt: 99_000, queuedBytes: 6.2 * 1024 * 1024 }), server, now, 60_000),
    toRow(stream('c3', { connectionId: 'k-3', liveness: 'unknown', livenessCheckedAt: null, queuedBytes: null }), server, now, 60_000),
    toRow(stream('c4', { connectionId: 'k-1', liveness: 'alive', rttMs: 2.5, livenessCheckedAt: 99_000, queuedBytes: 2048 }), server, now, 60_000),
  ];
  assert.deepEqual(rows.map(clientCell), ['alive 0.3 ms', 'dead', '—', 'alive 2.5 ms']);
  assert.deepEqual(rows.map(queuedCell), ['', '6.2 MB', '?', '2 kB']);
  assert.equal(rows[1].suspect, true, 'a dead client is suspect at once');
  assert.deepEqual(filterRows(rows, '', 'all', 'dead').map((r) => r.id), ['c2']);
  assert.deepEqual(filterRows(rows, '', 'all', 'alive').map((r) => r.id), ['c1', 'c4']);
  assert.deepEqual(filterRows(rows, '', 'all', 'unknown').map((r) => r.id), ['c3']);
  // Silent for 100 s on a server without keepalive: suspect even though the client answers.
  assert.deepEqual(filterRows(rows, '', 'suspect', 'alive').map((r) => r.id), ['c1', 'c4']);
  assert.deepEqual(filterRows(rows, 'k-1', 'all').map((r) => r.id), ['c1', 'c4'], 'a connection id finds its streams');
  assert.deepEqual(sortRows(rows, 'client', false).map((r) => r.id), ['c2', 'c3', 'c1', 'c4']);
  assert.deepEqual(sortRows(rows, 'queued', true).map((r) => r.id), ['c2', 'c4', 'c1', 'c3']);
  // Records of an agent before the probe (no such fields) read as not probed, queue not known.
  const old = toRow({ ...stream('c5') }, server, now, 60_000);
  assert.deepEqual([old.liveness, old.rttMs, old.queuedBytes, old.connectionId], ['unknown', null, null, '']);
});

test('a Go handler goroutine in the dashboard: unknown fields show as —, Cancel is offered as unavailable with the reason, filters and sorts take the nulls', () => {
  const { toRow, filterRows, sortRows, knownCell } = lib('dashboard/table.js');
  const go = {
    id: 'g25', serverId: 'grpc-go', method: '/grpc.testing.TestService/StreamingInputCall', kind: null, peer: null, startedAt: null, observedSince: 1000,
    received: null, sent: null, lastReceivedAt: null, lastSentAt: null, deadline: null, state: null, connectionId: null, queuedBytes: null,
    liveness: 'unknown', livenessCheckedAt: null, rttMs: null, source: 'go-pprof', goroutine: 25, waitsAt: { file: '/src/main.go', line: 52, function: 'main.(*server).StreamingInputCall' },
    waiting: 'recv', waitReason: 'select', waitingSince: 1000, waitingSinceBasis: 'first-seen',
  };
  const server = { id: 'grpc-go', library: 'grpc-go v1.75.0', grpcJsVersion: null, addresses: [], keepalive: null, methods: [] };
  const row = toRow(go, server, 61_000, 30_000);
  assert.deepEqual([row.kind, row.peer, row.received, row.sent, row.state, row.suspect, row.idleMs], [null, null, null, null, 'recv', true, 60_000]);
  assert.deepEqual([knownCell(row.peer), knownCell(row.received), knownCell(row.kind)], ['—', '—', '—']);
  assert.match(row.cancelUnavailable, /^Cancel is not available for Go/);
  assert.equal(row.seq, 25);
  const node = { ...go, id: '7-abc-3', kind: 'bidi', peer: '127.0.0.1:5000', received: 2, sent: 1, state: 'active', source: undefined, goroutine: undefined, waitsAt: undefined, waiting: undefined, waitingSince: undefined, waitingSinceBasis: undefined, connectionId: 'c1' };
  const rows = [row, toRow(node, { ...server, library: undefined, grpcJsVersion: '1.14.7', keepalive: { timeMs: null, timeoutMs: null, maxConnectionIdleMs: null, maxConnectionAgeMs: null } }, 61_000, 30_000)];
  assert.equal(rows[1].cancelUnavailable, null);
  assert.deepEqual(filterRows(rows, '127.0.0.1', 'all').map((r) => r.id), ['7-abc-3']);
  assert.deepEqual(filterRows(rows, 'streaminginput', 'all').map((r) => r.id), ['g25', '7-abc-3']);
  assert.deepEqual(sortRows(rows, 'peer', false).map((r) => r.id), ['g25', '7-abc-3'], 'an unknown peer sorts first');
  assert.deepEqual(sortRows(rows, 'received', true).map((r) => r.id), ['7-abc-3', 'g25']);
});

test('the connection table of a channelz source: suspect first with its reason, unknown values as —', () => {
  const { connectionRows } = lib('dashboard/connectionTable.js');
  const conn = (id, over = {}) => ({ id, serverId: '1', remote: `127.0.0.1:${id}`, local: '127.0.0.1:50051', openStreams: 1, streamsStarted: 1, messagesSent: 0, messagesReceived: 1, keepalivesSent: 0, keepalivesBefore: 0, lastMessageReceivedAt: 90_000, lastMessageSentAt: null, lastRemoteStreamCreatedAt: 90_000, localWindow: null, remoteWindow: null, ...over });
  const rows = connectionRows([conn('2', { lastMessageReceivedAt: 99_500 }), conn('1')], 100_000, 5000);
  assert.deepEqual(rows.map((r) => [r.remote, r.suspect, r.idle, r.lastSent, r.window]), [
    ['127.0.0.1:1', true, '10s', '—', '— / —'],
    ['127.0.0.1:2', false, '0s', '—', '— / —'],
  ]);
  assert.equal(rows[0].reasons, '1 open stream, nothing received for 10 s, and the server sent no keepalive ping');
});
