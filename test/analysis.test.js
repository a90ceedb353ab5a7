// The analysis core on checked-in fixtures: findings, fixed outputs (golden files), gofmt-clean Go,
// type-checked TypeScript, and idempotence. UPDATE_GOLDEN=1 rewrites the golden files.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { lib } = require('./helpers/lib');
const { analyze, fixText } = lib('analysis/analyzer.js');

const DIR = path.join(__dirname, 'fixtures', 'analysis');
const EXPECTED = path.join(DIR, 'expected');
const TMP = path.join(__dirname, '.tmp', 'analysis');
const update = process.env.UPDATE_GOLDEN === '1';

function fixturesOf(lang) {
  return fs.readdirSync(path.join(DIR, lang)).filter((f) => /\.(go|ts|js|mjs)$/.test(f) && f !== 'types.ts').sort();
}

async function runFixtures(lang) {
  const summary = {};
  const outputs = [];
  for (const file of fixturesOf(lang)) {
    const text = fs.readFileSync(path.join(DIR, lang, file), 'utf8');
    const findings = await analyze(file, text);
    summary[file] = findings.map((f) => `${f.rule} ${f.range.start.line + 1}:${f.range.start.column + 1} [${f.fixes.join(',')}]`);
    for (const f of findings) {
      for (const kind of f.fixes) {
        const fixed = await fixText(file, text, { line: f.range.start.line, rule: f.rule }, kind);
        const name = `${file}.line${f.range.start.line + 1}.${kind}${path.extname(file)}`;
        const golden = path.join(EXPECTED, lang, `${name}.golden`);
        if (update) {
          fs.mkdirSync(path.dirname(golden), { recursive: true });
          fs.writeFileSync(golden, fixed);
        }
        assert.equal(fixed, fs.readFileSync(golden, 'utf8'), `${name} matches its golden file`);
        const after = await analyze(file, fixed);
        if (lang === 'go' && kind === 'context-aware') {
          // Checking the context does not unblock Recv: the finding stays, offering only the idle timeout.
          const same = after.filter((a) => a.rule === f.rule);
          assert.equal(same.length, findings.filter((a) => a.rule === f.rule).length, `${name}: the loop still blocks`);
          const offering = (list) => list.filter((a) => a.rule === f.rule && a.fixes.includes('context-aware')).length;
          assert.equal(offering(after), offering(findings) - 1, `${name}: idempotent`);
          assert.ok(same.some((a) => a.fixes.join() === 'async-receive'), `${name}: the idle timeout is still offered`);
        } else {
          assert.equal(after.filter((a) => a.rule === f.rule).length, findings.filter((a) => a.rule === f.rule).length - 1, `${name}: the fixed finding is gone`);
          const again = after.find((a) => a.rule === f.rule && a.range.start.line === f.range.start.line);
          assert.ok(!again, `${name}: idempotent`);
        }
        outputs.push({ name, fixed });
      }
    }
  }
  const summaryFile = path.join(EXPECTED, `${lang}-findings.json`);
  if (update) fs.writeFileSync(summaryFile, JSON.stringify(summary, null, 2) + '\n');
  assert.deepEqual(summary, JSON.parse(fs.readFileSync(summaryFile, 'utf8')));
  return { summary, outputs };
}

test('Go: findings on every shape of test/fixtures/analysis/go, and every fix is gofmt-clean, idempotent and as expected', async () => {
  const { summary, outputs } = await runFixtures('go');
  assert.ok(Object.keys(summary).length >= 15);
  for (const clean of ['client_loop.go', 'not_grpc_recv.go', 'no_grpc_import.go', 'newserver_with_keepalive.go']) assert.deepEqual(summary[clean], [], clean);
  // A loop that checks the context still blocks in Recv: only the idle timeout is offered.
  assert.deepEqual(summary['watches_ctx.go'].map((f) => f.split(' ').pop()), ['[async-receive]']);
  assert.ok(outputs.length >= 25, `${outputs.length} fixed outputs`);
  fs.rmSync(path.join(TMP, 'go'), { recursive: true, force: true });
  fs.mkdirSync(path.join(TMP, 'go'), { recursive: true });
  for (const o of outputs) fs.writeFileSync(path.join(TMP, 'go', o.name.replace(/\.go$/, '') + '.go'), o.fixed);
  const syntax = spawnSync('gofmt', ['-e', '-l', path.join(TMP, 'go')], { encoding: 'utf8' });
  assert.equal(syntax.error, undefined, 'gofmt runs (apt-get install golang-go)');
  assert.equal(syntax.stderr, '', 'gofmt -e: no syntax errors');
  assert.equal(syntax.stdout, '', 'gofmt -l lists no file');
  // Every fixture and every fixed output builds and vets against real grpc-go (gomod/pb stands in
  // for generated code), each in a package of its own.
  const mod = path.join(TMP, 'gomod');
  fs.rmSync(mod, { recursive: true, force: true });
  fs.cpSync(path.join(DIR, 'gomod'), mod, { recursive: true });
  const place = (dir, text) => {
    fs.mkdirSync(path.join(mod, dir), { recursive: true });
    fs.writeFileSync(path.join(mod, dir, 'x.go'), text);
  };
  for (const file of fixturesOf('go')) place(`orig/${file.replace(/\W/g, '_')}`, fs.readFileSync(path.join(DIR, 'go', file), 'utf8'));
  for (const o of outputs) place(`fixed/${o.name.replace(/\W/g, '_')}`, o.fixed);
  const env = { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' };
  for (const args of [['vet', './...'], ['build', './...']]) {
    const r = spawnSync('go', args, { cwd: mod, encoding: 'utf8', env });
    assert.equal(r.error, undefined, 'go runs');
    assert.equal(r.status, 0, `go ${args.join(' ')}:\n${r.stderr}`);
  }
});

test('TypeScript/JavaScript: findings on every shape of test/fixtures/analysis/ts, and every fixed TypeScript file type-checks against @grpc/grpc-js', async () => {
  const { summary, outputs } = await runFixtures('ts');
  assert.ok(Object.keys(summary).length >= 10);
  for (const clean of ['handled.ts', 'with_timeout.ts', 'no_grpc.ts']) assert.deepEqual(summary[clean], [], clean);
  const dir = path.join(TMP, 'ts');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(DIR, 'ts', 'types.ts'), path.join(dir, 'types.ts'));
  fs.copyFileSync(path.join(DIR, 'ts', 'tsconfig.json'), path.join(dir, 'tsconfig.json'));
  let n = 0;
  for (const o of outputs) {
    if (!o.name.endsWith('.ts')) {
      // JavaScript output must at least parse.
      const check = spawnSync(process.execPath, ['--check', '--input-type=' + (o.name.includes('.mjs') ? 'module' : 'commonjs')], { input: o.fixed, encoding: 'utf8' });
      assert.equal(check.status, 0, `${o.name}: ${check.stderr}`);
      continue;
    }
    fs.writeFileSync(path.join(dir, o.name.replace(/[^a-z0-9_]/gi, '_') + '.ts'), o.fixed);
    n++;
  }
  assert.ok(n >= 15, `${n} TypeScript outputs`);
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
  assert.equal(tsc.stdout + tsc.stderr, '', 'tsc --noEmit reports nothing');
  assert.equal(tsc.status, 0);
});

test('a malformed file is an error, not a crash, and changes nothing', async () => {
  const broken = 'package x\nimport "google.golang.org/grpc"\nfunc (s *x) F(stream pb.X_YServer) error {\n\tfor {\n\t\tstream.Recv(\n';
  const findings = await analyze('broken.go', broken);
  assert.ok(Array.isArray(findings));
  await assert.rejects(fixText('broken.go', broken, { line: 0 }, 'context-aware'), /no finding on that line/);
  await assert.rejects(fixText('notes.txt', 'hello', { line: 0 }, 'keepalive'), /not a Go, TypeScript or JavaScript file/);
  const ts = 'import * as grpc from "@grpc/grpc-js";\nconst s = new grpc.Server();\n';
  await assert.rejects(fixText('a.ts', ts, { line: 1 }, 'async-receive'), /async-receive fix does not apply there \(it offers: keepalive\)/);
});

test('a Go file that starts with blank lines or a byte-order mark gets its findings and fixes', async () => {
  const { DocumentAnalysis } = lib('analysis/documentAnalysis.js');
  const body = 'package x\n\nimport "google.golang.org/grpc"\n\nfunc Serve() { grpc.NewServer() }\n';
  for (const prefix of ['\n\n', '\uFEFF', '  \n']) {
    const text = prefix + body;
    const line = text.split('\n').findIndex((l) => l.includes('NewServer'));
    const findings = await analyze('x.go', text);
    assert.deepEqual(findings.map((f) => [f.rule, f.range.start.line, f.range.start.column]), [['server-without-keepalive', line, 15]], JSON.stringify(prefix));
    const doc = new DocumentAnalysis('x.go');
    assert.deepEqual(await doc.update(text), findings);
    doc.dispose();
    assert.deepEqual(await analyze('x.go', await fixText('x.go', text, { line }, 'keepalive')), []);
  }
});

test('a file with \\r\\n line endings gets the same findings, and fixes that keep its line endings', async () => {
  let fixes = 0;
  for (const lang of ['go', 'ts']) {
    for (const file of fixturesOf(lang)) {
      const text = fs.readFileSync(path.join(DIR, lang, file), 'utf8');
      const crlf = text.replace(/\n/g, '\r\n');
      const findings = await analyze(file, crlf);
      assert.deepEqual(findings, await analyze(file, text), file);
      for (const f of findings) {
        for (const kind of f.fixes) {
          const fixed = await fixText(file, crlf, { line: f.range.start.line, rule: f.rule }, kind);
          assert.ok(!/[^\r]\n/.test(fixed), `${file} ${kind}: a line ends in \\n alone`);
          assert.equal(fixed.replace(/\r\n/g, '\n'), await fixText(file, text, { line: f.range.start.line, rule: f.rule }, kind), `${file} ${kind}`);
          fixes++;
        }
      }
    }
  }
  assert.ok(fixes >= 40, `${fixes} fixes`);
});

test('the changed region of two texts is found in blocks exactly as character by character', () => {
  const { changedRegion } = lib('analysis/documentAnalysis.js');
  const byChar = (a, b) => {
    if (a === b) return null;
    let start = 0;
    while (start < Math.min(a.length, b.length) && a[start] === b[start]) start++;
    let [oldEnd, newEnd] = [a.length, b.length];
    while (oldEnd > start && newEnd > start && a[oldEnd - 1] === b[newEnd - 1]) [oldEnd, newEnd] = [oldEnd - 1, newEnd - 1];
    const low = b.charCodeAt(start);
    if (start > 0 && low >= 0xdc00 && low <= 0xdfff) start--;
    return { start, oldEnd, newEnd };
  };
  const source = fs.readFileSync(path.join(DIR, 'go', 'eof_basic.go'), 'utf8').repeat(40);
  let seed = 5;
  const random = (n) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
  for (let i = 0; i < 2000; i++) {
    // Repetitive texts, so that a block can match where the change is.
    const base = i % 2 ? source.slice(0, random(source.length)) : 'ab😀c'.repeat(random(900));
    const at = random(base.length + 1);
    const changed = base.slice(0, at) + ['', 'x', '\n', '😀', 'ab😀c'][random(5)] + base.slice(at + random(40));
    assert.deepEqual(changedRegion(base, changed), byChar(base, changed), `case ${i}`);
  }
});

test('an open document re-parsed after each edit finds exactly what a fresh analysis finds', async () => {
  const { DocumentAnalysis, analyzeWhole: fresh, changedRegion } = lib('analysis/documentAnalysis.js');
  assert.deepEqual(changedRegion('abcdef', 'abXYef'), { start: 2, oldEnd: 4, newEnd: 4 });
  assert.deepEqual(changedRegion('aaaa', 'aaaaa'), { start: 4, oldEnd: 4, newEnd: 5 });
  assert.equal(changedRegion('same', 'same'), null);
  let seed = 7;
  const random = (n) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
  for (const lang of ['go', 'ts']) {
    for (const file of fixturesOf(lang)) {
      const original = fs.readFileSync(path.join(DIR, lang, file), 'utf8');
      const doc = new DocumentAnalysis(file);
      const fixed = fs.readdirSync(path.join(EXPECTED, lang)).filter((g) => g.startsWith(`${file}.line`)).map((g) => fs.readFileSync(path.join(EXPECTED, lang, g), 'utf8'));
      // Real edits: the fixes (many lines at once), undoing them, and typing around the file,
      // including text that is not ASCII.
      const steps = [original, ...fixed.flatMap((f) => [f, original])];
      let text = original;
      for (let i = 0; i < 12; i++) {
        const lines = text.split('\n');
        const at = random(lines.length);
        if (i % 3 === 0) lines.splice(at, 0, '// ünïcödé ✓ 😀 note');
        else if (i % 3 === 1) lines.splice(at, 1);
        else lines[at] = lines[at].slice(0, random(lines[at].length + 1)) + 'x' + lines[at].slice(random(lines[at].length + 1));
        text = lines.join('\n');
        steps.push(text);
      }
      try {
        // Broken syntax on the way is part of typing: both parsers recover, and must agree.
        for (const [i, step] of steps.entries()) assert.deepEqual(await doc.update(step), await fresh(file, step), `${lang}/${file}, step ${i}`);
      } finally {
        doc.dispose();
      }
    }
  }
});
