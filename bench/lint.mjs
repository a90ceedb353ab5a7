// lint of a 10,000-line Go file and a 10,000-line TypeScript file, after warm-up: from nothing (the
// CLI, and a file just opened), and after a one-line edit (an open document in VS Code, which
// keeps its syntax tree and re-parses incrementally).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fmt, median, require, ROOT, run } from './lib.mjs';

const analysis = require('../dist/analysis.js');

/** A fixture's body repeated (with names renamed) under its header until the file has `lines` lines. */
function bigFile(source, headerEnd, lines) {
  const header = source.slice(0, headerEnd);
  const body = source.slice(headerEnd);
  let out = header;
  for (let i = 0; out.split('\n').length < lines; i++) out += body.replace(/\b(Upload|upload|ingest|Ingest)\b/g, (m) => `${m}${i}`);
  return out;
}

/** The benchmark's 10,000-line Go and TypeScript files: dense with findings. */
export function bigFiles(lines = 10000) {
  const goSrc = fs.readFileSync(path.join(ROOT, 'test/fixtures/analysis/go/eof_basic.go'), 'utf8');
  const tsSrc = fs.readFileSync(path.join(ROOT, 'test/fixtures/analysis/ts/arrow_handlers.ts'), 'utf8');
  return { go: bigFile(goSrc, goSrc.indexOf('type ingest'), lines), ts: bigFile(tsSrc, tsSrc.indexOf('export function'), lines) };
}

export async function lintBench({ lines = 10000, runs = 20 } = {}) {
  const { go, ts } = bigFiles(lines);
  const out = {};
  // The engine of a large `grpc-streams lint` run: files cut into parts, analyzed on this thread
  // and on worker threads at once (src/analysis/lintPool.ts).
  const pool = new analysis.LintPool();
  await pool.whenReady();
  for (const [name, file, text] of [['go', 'big.go', go], ['ts', 'big.ts', ts]]) {
    for (let i = 0; i < 5; i++) {
      await analysis.analyze(file, text);
      await pool.lint(file, text);
    }
    const times = [];
    const split = [];
    let findings = 0;
    for (let i = 0; i < runs; i++) {
      let t = performance.now();
      findings = (await analysis.analyze(file, text)).length;
      times.push(performance.now() - t);
      t = performance.now();
      const parts = await pool.lint(file, text);
      split.push(performance.now() - t);
      if (parts.length !== findings) throw new Error(`${file}: ${parts.length} findings in parts, ${findings} in the whole file`);
    }
    // The editor's path: type a comment line somewhere in the middle, then take it out again.
    const doc = new analysis.DocumentAnalysis(file);
    await doc.update(text);
    const edits = [];
    let current = text;
    for (let i = 0; i < runs * 2; i++) {
      if (i % 2 === 0) {
        const at = current.indexOf('\n', Math.floor(current.length * (0.2 + 0.6 * ((i * 7919) % 101) / 101))) + 1;
        current = `${current.slice(0, at)}// note ${i}\n${current.slice(at)}`;
      } else {
        current = text;
      }
      const t = performance.now();
      await doc.update(current);
      edits.push(performance.now() - t);
    }
    doc.dispose();
    out[name] = { lines: text.split('\n').length, ms: median(times), splitMs: median(split), threads: pool.threads, afterEditMs: median(edits), findings };
  }
  pool.dispose();
  return out;
}

/**
 * Whole lint runs over trees of large files, each in a fresh process (cold: loading the parsers,
 * V8 optimizing them), with and without worker threads: where the pool starts to pay.
 */
export async function lintRunBench({ sizes = [16, 64] } = {}) {
  const { go, ts } = bigFiles();
  const out = [];
  for (const files of sizes) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grpc-streams-lint-'));
    try {
      for (let i = 0; i < files / 2; i++) {
        fs.writeFileSync(path.join(dir, `big${i}.go`), go);
        fs.writeFileSync(path.join(dir, `big${i}.ts`), ts);
      }
      const row = { files, mb: (files / 2) * (go.length + ts.length) / 1e6 };
      for (const workers of [false, true]) {
        const script = `const a = require(${JSON.stringify(path.join(ROOT, 'dist', 'analysis.js'))}); const t = performance.now(); a.lintPaths([${JSON.stringify(dir)}], ${JSON.stringify(dir)}, { workers: ${workers} }).then((f) => console.log(JSON.stringify({ ms: performance.now() - t, findings: f.length })));`;
        const { stdout, err } = await run(process.execPath, ['-e', script]);
        if (err) throw err;
        row[workers ? 'workers' : 'oneThread'] = JSON.parse(stdout);
      }
      out.push(row);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return out;
}

export function printLintRuns(rows) {
  console.log('lint runs over trees of 10,000-line files, each run a fresh process (cold)');
  for (const r of rows) {
    console.log(`  ${r.files} files (${fmt(r.mb)} MB): one thread ${fmt(r.oneThread.ms)} ms, with worker threads ${fmt(r.workers.ms)} ms (ratio ${fmt(r.workers.ms / r.oneThread.ms)}); ${r.workers.findings} findings either way`);
  }
}

export function printLint(r) {
  for (const [k, v] of Object.entries(r)) {
    console.log(`lint of a ${v.lines}-line ${k === 'go' ? 'Go' : 'TypeScript'} file (${v.findings} findings), medians after warm-up   (target < 50 ms)`);
    console.log(`  parsed from nothing on one thread (a file just opened, grpc-streams lint of a small tree): ${fmt(v.ms)} ms`);
    console.log(`  parsed from nothing in ${v.threads} parts on ${v.threads} threads (grpc-streams lint of a large tree, workers loaded): ${fmt(v.splitMs)} ms`);
    console.log(`  after a one-line edit (an open document): ${fmt(v.afterEditMs)} ms`);
  }
}
