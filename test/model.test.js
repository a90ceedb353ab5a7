// Pure functions: suspect rules, idle times, address rules, durations, the client-side store.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { lib } = require('./helpers/lib');
const { judgeStream, idleMs, keepaliveVerdict } = lib('model/suspect.js');
const { parseInspectorAddress, isLoopbackHost, assertAllowedHost } = lib('inspector/address.js');
const { parseDuration } = lib('model/listJson.js');
const { StreamStore } = lib('model/streamStore.js');
const { renderStreams, formatIdle } = lib('cli/table.js');

const server = (timeMs, version = '1.14.7') => ({ id: 's1', grpcJsVersion: version, addresses: [], methods: [], keepalive: { timeMs, timeoutMs: null, maxConnectionIdleMs: null, maxConnectionAgeMs: null } });
const stream = (over = {}) => ({ id: 'c1', serverId: 's1', method: '/a.B/C', kind: 'client_stream', peer: 'p', startedAt: 0, observedSince: 0, lastReceivedAt: 1000, lastSentAt: null, received: 1, sent: 0, deadline: null, state: 'active', connectionId: 'k1', queuedBytes: 0, liveness: 'unknown', livenessCheckedAt: null, rttMs: null, ...over });

test('idle time is measured from the latest of received, sent and start', () => {
  assert.equal(idleMs(stream({ lastReceivedAt: 1000, lastSentAt: 5000 }), 9000), 4000);
  assert.equal(idleMs(stream({ lastReceivedAt: null, lastSentAt: null, startedAt: null, observedSince: 2000 }), 3000), 1000);
});

test('suspect: silent past the threshold and (no keepalive or not half-closed)', () => {
  const now = 42000;
  const v = judgeStream(stream(), server(null), now, 30000);
  assert.deepEqual(v, { suspect: true, reasons: ['no message for 41 s', 'server has no keepalive', 'client has not half-closed'] });
  assert.equal(judgeStream(stream(), server(null), 20000, 30000).suspect, false, 'not yet past the threshold');
  assert.deepEqual(judgeStream(stream({ state: 'half_closed' }), server(2000), now, 30000), { suspect: false, reasons: [] }, 'keepalive in force and half-closed');
  assert.deepEqual(judgeStream(stream(), server(2000), now, 30000).reasons, ['no message for 41 s', 'client has not half-closed']);
  assert.match(judgeStream(stream({ state: 'half_closed' }), server(7_200_000), now, 30000).reasons[1], /keepalive \(2 h\) is slower than the idle threshold \(30 s\)/);
  assert.match(judgeStream(stream({ state: 'half_closed' }), server(2000, '1.14.1'), now, 30000).reasons[1], /grpc-node #2953/);
  assert.equal(keepaliveVerdict(server(2000, '1.14.2'), 30000), 'ok');
});

test('unary calls are suspect when they run longer than the threshold; server streams by silence both ways', () => {
  const u = judgeStream(stream({ kind: 'unary', state: 'half_closed', startedAt: 0 }), server(null), 31000, 30000);
  assert.deepEqual(u.reasons, ['unary call running for 31 s', 'server has no keepalive']);
  const busy = judgeStream(stream({ kind: 'server_stream', state: 'half_closed', lastSentAt: 40000 }), server(null), 41000, 30000);
  assert.equal(busy.suspect, false, 'a server stream that keeps sending is not suspect');
});

test('inspector addresses: parsing and the loopback rule', () => {
  assert.deepEqual(parseInspectorAddress('127.0.0.1:9229'), { host: '127.0.0.1', port: 9229 });
  assert.deepEqual(parseInspectorAddress('[::1]:9230'), { host: '::1', port: 9230 });
  assert.deepEqual(parseInspectorAddress('9231'), { host: '127.0.0.1', port: 9231 });
  assert.throws(() => parseInspectorAddress('host:99999'), /not an inspector address/);
  for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) assert.equal(isLoopbackHost(h), true, h);
  for (const h of ['10.0.0.1', '192.168.1.1', 'example.com', '::', '0.0.0.0']) assert.equal(isLoopbackHost(h), false, h);
  assert.throws(() => assertAllowedHost({ host: '10.0.0.1', port: 1 }, false), /full code execution/);
  assert.doesNotThrow(() => assertAllowedHost({ host: '10.0.0.1', port: 1 }, true));
});

test('durations', () => {
  assert.equal(parseDuration('30s'), 30000);
  assert.equal(parseDuration('2m'), 120000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('45'), 45000);
  assert.throws(() => parseDuration('soon'), /not a duration/);
});

test('the store applies deltas and reports exactly what changed', () => {
  const snap = { agentVersion: 1, pid: 1, node: 'v', now: 1000, seq: 1, grpcJs: [], copies: [], servers: [server(null)], streams: [stream({ id: 'c1' }), stream({ id: 'c2' })], ended: [] };
  const store = new StreamStore(snap, 400);
  assert.equal(store.clockOffsetMs, 600);
  const change = store.apply({ seq: 2, now: 2000, upserts: [stream({ id: 'c2', received: 5 }), stream({ id: 'c3' })], ended: [{ id: 'c1', statusCode: 1 }] }, 2000);
  assert.deepEqual(change, { updated: ['c2', 'c3'], removed: ['c1'], serversChanged: false });
  assert.deepEqual([...store.streams.keys()].sort(), ['c2', 'c3']);
  assert.equal(store.streams.get('c2').received, 5);
  assert.equal(store.ended.length, 1);
});

test('the text table puts suspect streams first', () => {
  assert.equal(formatIdle(41000), '41s');
  assert.equal(formatIdle(125000), '2m05s');
  const out = renderStreams([
    { ...stream({ id: 'ok1' }), idleMs: 1000, suspect: false, reasons: [] },
    { ...stream({ id: 'bad1' }), idleMs: 50000, suspect: true, reasons: ['no message for 50 s'] },
  ]);
  const lines = out.split('\n');
  assert.match(lines[1], /^bad1 .* yes: no message for 50 s$/);
  assert.match(lines[2], /^ok1 /);
});

test('a packed snapshot unpacks to the same records, and a malformed one is refused with a sentence', () => {
  const { packStreams, unpackSnapshot, PackedSnapshotError } = lib('agent/packedSnapshot.js');
  const streams = [
    stream({ id: 'c1' }),
    stream({ id: 'c2', kind: 'bidi', peer: 'ipv6:[::1]:5000', startedAt: null, observedSince: 1795469385071, lastSentAt: 1795469386000, received: 7, sent: 3, deadline: 1795469999999, state: 'half_closed' }),
    stream({ id: 'c3', method: '/ünï.cödé/"Quoted"\\', serverId: 's2' }),
  ];
  const head = { agentVersion: 3, pid: 9, epoch: 'e1', node: 'v20', now: 5000, seq: 4, grpcJs: ['1.14.7'], copies: [], servers: [server(null)], ended: [] };
  const packed = JSON.parse(JSON.stringify({ ...head, ...packStreams(streams, 5000) }));
  assert.equal(packed.strings.filter((s) => s === '/a.B/C').length, 1, 'a repeated string is sent once');
  assert.deepEqual(unpackSnapshot(packed), { ...head, streams });
  const bad = (over, why) => assert.throws(() => unpackSnapshot({ ...packed, ...over }), (e) => e instanceof PackedSnapshotError && /The agent sent/.test(e.message), why);
  bad({ streams: packed.streams.slice(1) }, 'a cut-off record');
  bad({ strings: [] }, 'indexes into a missing string table');
  bad({ streams: packed.streams.map((v, i) => (i === 9 ? 'seven' : v)) }, 'a count that is not a number');
  bad({ streams: packed.streams.map((v, i) => (i === 6 ? Infinity : v)) }, 'a time that JSON cannot carry');
  bad({ streams: undefined }, 'no streams at all');
});

test('list --json written from the packed snapshot is the document toListJson describes', () => {
  const { packStreams } = lib('agent/packedSnapshot.js');
  const { toListJson } = lib('model/listJson.js');
  const { listJsonText } = lib('model/listJsonText.js');
  const now = 100_000;
  const streams = [];
  const kinds = ['unary', 'client_stream', 'server_stream', 'bidi'];
  for (let i = 0; i < 600; i++) {
    streams.push(stream({
      id: `c${i}`,
      serverId: i % 3 ? 's1' : 's2',
      kind: kinds[i % 4],
      method: `/pkg.Svc/M${i % 5}`,
      startedAt: i % 7 ? i * 100 : null,
      observedSince: i * 100,
      lastReceivedAt: i % 2 ? now - i * 97 : null,
      lastSentAt: i % 3 ? now - i * 131 : null,
      received: i,
      sent: i % 11,
      deadline: i % 13 ? null : now + i,
      state: i % 5 ? 'active' : 'half_closed',
    }));
  }
  const servers = [server(null), { ...server(2000, '1.14.1'), id: 's2' }];
  const snap = { agentVersion: 3, pid: 9, epoch: 'e1', node: 'v20', now, seq: 4, grpcJs: ['1.14.7'], copies: [], servers, streams, ended: [] };
  const packed = JSON.parse(JSON.stringify({ ...snap, streams: undefined, ...packStreams(streams, now) }));
  for (const threshold of [1000, 30000]) {
    const text = listJsonText(packed, threshold);
    const expected = toListJson(snap, threshold);
    assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(expected)));
    assert.ok(expected.streams.some((s) => s.suspect) && expected.streams.some((s) => !s.suspect), 'both verdicts are covered');
  }
  const lines = listJsonText(packed, 1000).split('\n');
  assert.equal(lines.filter((l) => l.trimStart().startsWith('{"id":')).length, 600, 'one line per stream');
  assert.deepEqual(JSON.parse(listJsonText({ ...packed, streams: [] }, 1000)).streams, []);
});

test('a paged snapshot merges into the records one page would give, strings re-indexed', () => {
  const { packStreams, unpackSnapshot, mergePages, PackedSnapshotError } = lib('agent/packedSnapshot.js');
  const streams = [stream({ id: 'c1' }), stream({ id: 'c2', serverId: 's2', peer: 'p2' }), stream({ id: 'c3', method: '/x.Y/Z', peer: 'p3', state: 'half_closed' })];
  const head = { agentVersion: 5, pid: 9, epoch: 'e1', node: 'v20', now: 5000, seq: 4, grpcJs: [], copies: [], servers: [server(null)], ended: [] };
  const first = { ...head, pageToken: 'p1', next: 1, ...packStreams(streams.slice(0, 1), 5000) };
  const pages = [{ ...packStreams(streams.slice(1, 2), 5000), next: 2 }, { ...packStreams(streams.slice(2), 5000), next: null }];
  assert.deepEqual(unpackSnapshot(mergePages(first, pages)).streams, streams);
  assert.throws(() => mergePages(first, [{ strings: [], streams: [1, 2] }]), PackedSnapshotError);
});

test('a pushed delta is taken only when well formed and naming streams of this process and install', () => {
  const { checkDelta } = lib('inspector/deltaCheck.js');
  const mine = stream({ id: '9-e1-4' });
  const ok = checkDelta({ seq: 5, now: 1, upserts: [mine], ended: [{ ...mine, endedAt: 2, durationMs: 1, statusCode: 1 }], servers: [server(null)] }, 9, 'e1');
  assert.deepEqual(ok.delta.upserts, [mine]);
  const problem = (value) => checkDelta(value, 9, 'e1').problem;
  assert.match(problem('text'), /unknown shape/);
  assert.match(problem({ seq: 5, now: 1, upserts: [{ ...mine, kind: 'evil' }], ended: [] }), /malformed record for stream 9-e1-4/);
  assert.match(problem({ seq: 5, now: 1, upserts: [{ ...mine, id: '8-e1-4' }], ended: [] }), /belongs to process 8/);
  assert.match(problem({ seq: 5, now: 1, upserts: [{ ...mine, id: '9-e0-4' }], ended: [] }), /earlier attach/);
  assert.match(problem({ seq: 5, now: 1, upserts: [], ended: [{ id: '9-e1-4' }] }), /malformed/);
  assert.match(problem({ seq: 5, now: 1, upserts: [], ended: [], servers: [{ id: 's1' }] }), /malformed server/);
});

test('suspect reasons say what the PING and the queue tell', () => {
  const { judgeStream } = lib('model/suspect.js');
  const now = 200_000;
  const silent = stream({ lastReceivedAt: 20_000 });
  assert.deepEqual(judgeStream({ ...silent, liveness: 'alive', rttMs: 0.28 }, server(null), now, 60_000).reasons, [
    'the client answers PINGs (0.3 ms) but has sent nothing for 3 min',
    'server has no keepalive',
    'client has not half-closed',
  ]);
  assert.deepEqual(judgeStream({ ...silent, liveness: 'dead', lastReceivedAt: now }, server(null), now, 60_000), { suspect: true, reasons: ['the client did not answer a PING: it is gone', 'server has no keepalive', 'client has not half-closed'] });
  const writer = stream({ kind: 'server_stream', lastSentAt: now, queuedBytes: 6.2 * 1024 * 1024 });
  assert.equal(judgeStream(writer, server(1000), now, 60_000).reasons[0], 'the client stopped reading: 6.2 MB queued');
  assert.equal(judgeStream({ ...writer, queuedBytes: 65_545 }, server(1000), now, 60_000).suspect, false, 'one window of queued data is normal');
});
