// Large files linted in parts on several threads (src/analysis/splitPlan.ts, partLint.ts,
// lintPool.ts): the findings are always exactly those of the whole file. Where a part's answer
// could depend on what it did not see, the parts are not accepted and the whole file is analyzed.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { lib } = require('./helpers/lib');
const { analyze } = lib('analysis/analyzer.js');
const { splitPlan, partsAt, partText, supportOf } = lib('analysis/splitPlan.js');
const { analyzePart, mergeParts } = lib('analysis/partLint.js');
const { LintPool } = lib('analysis/lintPool.js');
const { worthAPool } = lib('analysis/lint.js');

const DIR = path.join(__dirname, 'fixtures', 'analysis');
const languageOf = (file) => (file.endsWith('.go') ? 'go' : file.endsWith('.ts') ? 'typescript' : 'javascript');

function fixtures() {
  const out = [];
  for (const dir of ['go', 'ts']) {
    for (const f of fs.readdirSync(path.join(DIR, dir)).sort()) {
      if (/\.(go|ts|js|mjs)$/.test(f) && f !== 'types.ts') out.push({ file: f, text: fs.readFileSync(path.join(DIR, dir, f), 'utf8') });
    }
  }
  return out;
}

/** A fixture's declarations repeated (names numbered) after its header until the file has `lines` lines. */
function bigFile(text, headerEnd, lines) {
  let out = text.slice(0, headerEnd);
  for (let i = 0; out.split('\n').length < lines; i++) out += text.slice(headerEnd).replace(/\b(Upload|upload|ingest|Ingest|start|chat)\b/g, (m) => `${m}${i}`);
  return out;
}

const lineStarts = (text) => [...text.matchAll(/\n/g)].map((m) => m.index + 1).filter((i) => i < text.length);

async function mergedAt(file, text, cuts) {
  const support = supportOf(languageOf(file), text);
  if (support === -1 || cuts[0] <= support) return undefined;
  const parts = partsAt(text, support, cuts);
  return mergeParts(file, text, parts, await Promise.all(parts.map((p) => analyzePart(file, text, p))));
}

test('a part keeps every line and column of the file: its support, empty lines, then its own lines', () => {
  const text = 'package x\r\n\nimport "google.golang.org/grpc"\n\nfunc a() {}\n\n// ü 😀\nfunc b() {}\nfunc c() {}\n';
  const parts = partsAt(text, supportOf('go', text), [text.indexOf('func b')]);
  assert.equal(parts[0].support, text.indexOf('func a'));
  const view = partText('go', text, parts[1]).split('\n');
  const lines = text.split('\n');
  for (const [i, line] of view.entries()) assert.equal(line, i < 4 || i >= 7 ? lines[i] : '', `line ${i}`);
  // TypeScript counts a lone \r and U+2028 as line breaks too; tree-sitter only \n.
  const ts = "import * as grpc from '@grpc/grpc-js';\nconst s = 'a\u2028b';\r// c\rconst t = 1;\nexport const u = 2;\n";
  const tsPart = partsAt(ts, supportOf('typescript', ts), [ts.indexOf('export const')])[1];
  assert.equal(partText('typescript', ts, tsPart), "import * as grpc from '@grpc/grpc-js';\n" + '\n'.repeat(4) + 'export const u = 2;\n');
});

test('cuts go at top-level declarations near equal sizes, after the imports; small files are not cut', () => {
  const go = fs.readFileSync(path.join(DIR, 'go', 'eof_basic.go'), 'utf8');
  const big = bigFile(go, go.indexOf('type ingest'), 3000);
  assert.equal(splitPlan('go', go, 2, 32 * 1024), null);
  const parts = splitPlan('go', big, 3, 8 * 1024);
  assert.equal(parts.length, 3);
  assert.equal(parts[0].start, 0);
  assert.equal(parts.at(-1).end, big.length);
  for (const [i, p] of parts.entries()) {
    assert.equal(p.support, big.indexOf('type ingest'));
    if (i > 0) {
      assert.equal(p.start, parts[i - 1].end);
      assert.match(big.slice(p.start, p.start + 5), /^(func|type) /);
      assert.ok(Math.abs(p.start - (big.length * i) / 3) < 1000, `cut ${i} near a third`);
    }
  }
  // TS/JS: the support runs past the last line that names @grpc/grpc-js (a require may come late).
  const js = "'use strict';\nconst a = 1;\nconst grpc = require('@grpc/grpc-js');\nfunction f() {}\n";
  assert.equal(supportOf('javascript', js), js.indexOf('function f'));
  assert.equal(supportOf('typescript', 'export const x = 1;\n'), -1);
});

test('cut at any line of any fixture, parts that are accepted give exactly the whole file\'s findings', async () => {
  let accepted = 0;
  let refused = 0;
  for (const { file, text } of fixtures()) {
    const whole = await analyze(file, text);
    const starts = lineStarts(text);
    for (const [i, c] of starts.entries()) {
      for (const cuts of [[c], starts[i + 5] ? [c, starts[i + 5]] : null]) {
        if (!cuts) continue;
        const merged = await mergedAt(file, text, cuts);
        if (merged === undefined) continue;
        if (merged === null) refused++;
        else {
          accepted++;
          assert.deepEqual(merged, whole, `${file} cut at ${cuts.join(', ')}`);
        }
      }
    }
  }
  // Most lines are inside a declaration: a cut there leaves a part that does not parse on its own.
  assert.ok(accepted >= 50 && refused >= 500, `${accepted} accepted, ${refused} refused`);
});

test('parts are refused where the rest of the file could change their answer', async () => {
  // A cut inside a raw string / template literal that holds a declaration-looking line.
  const go = 'package x\n\nimport "google.golang.org/grpc"\n\nvar doc = `\nfunc fake() {}\n`\n\nfunc Serve() { grpc.NewServer() }\n';
  assert.equal(await mergedAt('x.go', go, [go.indexOf('func fake')]), null);
  const ts = "import * as grpc from '@grpc/grpc-js';\nconst doc = `\nexport function fake() {}\n`;\nexport const s = new grpc.Server();\n";
  assert.equal(await mergedAt('x.ts', ts, [ts.indexOf('export function fake')]), null);
  // The implementation object is declared in the other part (and named in both).
  const impl = [
    "import * as grpc from '@grpc/grpc-js';",
    'export function start(server: grpc.Server, svc: grpc.ServiceDefinition) {',
    '  server.addService(svc, impl);',
    '}',
    'export const impl = {',
    "  upload: (call: grpc.ServerReadableStream<unknown, unknown>) => { call.on('data', () => undefined); },",
    '};',
    '',
  ].join('\n');
  assert.equal(await mergedAt('x.ts', impl, [impl.indexOf('export const impl')]), null);
  assert.equal((await analyze('x.ts', impl)).filter((f) => f.rule === 'stream-handler-ignores-cancel').length, 1);
  // One grpc.KeepaliveParams anywhere configures every server of a Go file: accepted, and merged.
  const keep = [
    'package x',
    '',
    'import "google.golang.org/grpc"',
    '',
    'func Serve() { _ = grpc.NewServer(opts()...) }',
    '',
    'func opts() []grpc.ServerOption { return []grpc.ServerOption{grpc.KeepaliveParams(params)} }',
    '',
  ].join('\n');
  const merged = await mergedAt('x.go', keep, [keep.indexOf('func opts')]);
  assert.deepEqual(merged, []);
  assert.deepEqual(await analyze('x.go', keep), []);
});

test('a pool of worker threads lints large files in parts with the whole file\'s findings, and falls back when its worker is gone', async () => {
  const go = fs.readFileSync(path.join(DIR, 'go', 'eof_basic.go'), 'utf8');
  const ts = fs.readFileSync(path.join(DIR, 'ts', 'arrow_handlers.ts'), 'utf8');
  const files = [
    ['big.go', bigFile(go, go.indexOf('type ingest'), 4000)],
    ['big.ts', bigFile(ts, ts.indexOf('export function'), 4000)],
  ];
  const pool = new LintPool({ workers: 2, minPartChars: 16 * 1024 });
  try {
    await pool.whenReady();
    assert.equal(pool.threads, 2);
    for (const [file, text] of files) {
      const whole = await analyze(file, text);
      assert.ok(whole.length > 100, `${file}: ${whole.length} findings`);
      assert.deepEqual(await pool.lint(file, text), whole, file);
    }
    assert.deepEqual(pool.counts, { parts: 2, whole: 0 });
    // Small files are analyzed here, whole.
    assert.deepEqual(await pool.lint('eof_basic.go', go), await analyze('eof_basic.go', go));
    assert.equal(pool.counts.whole, 1);
  } finally {
    pool.dispose();
  }
  // Without its worker, the pool still answers, on this thread.
  assert.equal(pool.threads, 1);
  assert.deepEqual(await pool.lint(...files[0]), await analyze(...files[0]));
  assert.equal(pool.counts.whole, 2);
});

test('the CLI\'s analysis bundle (dist/analysis.js) runs its own worker threads', async () => {
  const bundle = require(path.join(__dirname, '..', 'dist', 'analysis.js'));
  const ts = fs.readFileSync(path.join(DIR, 'ts', 'arrow_handlers.ts'), 'utf8');
  const big = bigFile(ts, ts.indexOf('export function'), 3000);
  const pool = new bundle.LintPool({ workers: 2, minPartChars: 16 * 1024 });
  try {
    await pool.whenReady();
    assert.deepEqual(await pool.lint('big.ts', big), await analyze('big.ts', big));
    assert.deepEqual(pool.counts, { parts: 1, whole: 0 });
  } finally {
    pool.dispose();
  }
});

test('grpc-streams lint starts worker threads only when there is more than 16 MB of large files to split', () => {
  assert.equal(worthAPool(Array(40).fill(400_000)), false);
  assert.equal(worthAPool(Array(45).fill(400_000)), true);
  assert.equal(worthAPool(Array(1000).fill(60_000)), false);
});
