// grpc-streams lint parses only the Go declarations that can hold a finding (src/analysis/goRegions.ts):
// on every file that parses, it finds exactly what a parse of the whole file finds.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { lib } = require('./helpers/lib');
const { lintGo } = lib('analysis/analyzer.js');
const { analyzeWhole } = lib('analysis/documentAnalysis.js');
const { goParser } = lib('analysis/goParser.js');
const { declarationStarts, goLintSpans, toRanges } = lib('analysis/goRegions.js');

const DIR = path.join(__dirname, 'fixtures', 'analysis');

/** Findings from a parse of the whole file, and whether that parse has a syntax error. */
async function whole(text) {
  const findings = await analyzeWhole('x.go', text);
  const tree = (await goParser()).parse(text);
  const broken = tree.rootNode.hasError;
  tree.delete();
  return { findings, broken };
}

/** Every Go fixture, its fixed outputs, and each with lines taken out and non-ASCII text typed in. */
function goTexts() {
  const out = [];
  let seed = 11;
  const random = (n) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
  const files = fs.readdirSync(path.join(DIR, 'go')).map((f) => path.join(DIR, 'go', f));
  const fixed = fs.readdirSync(path.join(DIR, 'expected', 'go')).filter((f) => f.endsWith('.golden')).map((f) => path.join(DIR, 'expected', 'go', f));
  for (const file of [...files, ...fixed]) {
    const text = fs.readFileSync(file, 'utf8');
    out.push(text);
    for (let i = 0; i < 4; i++) {
      const lines = text.split('\n');
      const at = random(lines.length);
      if (i % 2 === 0) lines.splice(at, 1);
      else lines.splice(at, 0, '// ünïcödé ✓ 😀 note');
      out.push(lines.join('\n'));
    }
  }
  return out;
}

test('the spans are the imports and the declarations that spell Recv, NewServer or KeepaliveParams', () => {
  const text = [
    'package x',
    '',
    'import "google.golang.org/grpc"',
    '',
    'type s struct{}',
    '',
    '// Upload reads.',
    'func (x *s) Upload(st pb.X_UploadServer) error { for { st.Recv() } }',
    'func helper() {}',
    'var v = 1',
    'func Serve() { grpc.NewServer() }',
    'const c = 2',
    '',
  ].join('\n');
  const starts = declarationStarts(text);
  assert.deepEqual(
    starts.map((s) => text.slice(s, s + 10)),
    ['type s str', 'func (x *s', 'func helpe', 'var v = 1\n', 'func Serve', 'const c = '],
  );
  const spans = goLintSpans(text, 1);
  assert.deepEqual(
    spans.map(([a, b]) => text.slice(a, b)),
    ['package x\n\nimport "google.golang.org/grpc"\n\n', 'func (x *s) Upload(st pb.X_UploadServer) error { for { st.Recv() } }\n', 'func Serve() { grpc.NewServer() }\n'],
  );
  // Nearly everything spells a rule's word: nothing to gain.
  assert.equal(goLintSpans(text, 0.3), null);
  // Rows count \n only, as tree-sitter does; columns are UTF-16 code units.
  const ranges = toRanges('a\r\nü😀\nb\nc', [[0, 2], [6, 9]]);
  assert.deepEqual(ranges, [
    { startIndex: 0, endIndex: 2, startPosition: { row: 0, column: 0 }, endPosition: { row: 0, column: 2 } },
    { startIndex: 6, endIndex: 9, startPosition: { row: 1, column: 3 }, endPosition: { row: 3, column: 0 } },
  ]);
});

test('on every fixture, fixed output and edit of them that parses, the lint finds what the whole file holds', async () => {
  let sparse = 0;
  let compared = 0;
  for (const text of goTexts()) {
    const full = await whole(text);
    const spans = goLintSpans(text, 1);
    if (spans) sparse++;
    const found = await lintGo('x.go', text, 1);
    // On a broken file, what a broken declaration does to its neighbours depends on what is parsed.
    if (full.broken) continue;
    compared++;
    assert.deepEqual(found, full.findings, text);
  }
  assert.ok(sparse >= 100 && compared >= 150, `${sparse} parsed in part, ${compared} compared`);
});

test('where the text misleads the cut, the whole file decides', async () => {
  const cases = {
    // A raw string holding lines that look like a declaration with a receive loop.
    rawString: 'package x\n\nimport (\n\t"io"\n\t"google.golang.org/grpc"\n)\n\nvar doc = `\nfunc fake(st pb.X_UpServer) { for { st.Recv() } }\n`\n\nfunc (s *x) Up(st pb.X_UpServer) error {\n\tfor {\n\t\t_, err := st.Recv()\n\t\tif err == io.EOF {\n\t\t\treturn nil\n\t\t}\n\t}\n}\n',
    // Code gofmt never wrote: a declaration keyword at column 0 inside a function.
    columnZero: 'package x\n\nimport "google.golang.org/grpc"\n\nfunc Serve() {\nvar s = grpc.NewServer()\n_ = s\n}\n\nfunc other() {}\n',
    // grpc.KeepaliveParams in a declaration of its own configures the server in another.
    keepalive: 'package x\n\nimport "google.golang.org/grpc"\n\nfunc Serve() { _ = grpc.NewServer(opts()...) }\n\nfunc unrelated() {}\n\nfunc opts() []grpc.ServerOption { return []grpc.ServerOption{grpc.KeepaliveParams(p)} }\n',
    // Non-ASCII text before and inside what is parsed.
    unicode: 'package x // ü\n\nimport "google.golang.org/grpc" // 😀\n\nfunc a() { _ = "ünï" }\n\nfunc Serve() { _ = "😀"; _ = grpc.NewServer() }\n',
  };
  for (const [name, text] of Object.entries(cases)) {
    const full = await whole(text);
    assert.equal(full.broken, false, name);
    assert.deepEqual(await lintGo('x.go', text, 1), full.findings, name);
  }
  assert.equal((await whole(cases.rawString)).findings.length, 1);
  assert.deepEqual((await whole(cases.keepalive)).findings, []);
  assert.equal((await whole(cases.unicode)).findings[0].range.start.column, 29);
});
