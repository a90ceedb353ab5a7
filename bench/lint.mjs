// lint of a 10,000-line Go file and a 10,000-line TypeScript file, after warm-up: from nothing
// (the CLI, which parses only the Go declarations that can hold a finding), a file just opened in
// VS Code (its whole syntax tree, kept for later edits), and after a one-line edit (an open
// document, re-parsed incrementally).
import fs from 'node:fs';
import path from 'node:path';
import { fmt, median, require, ROOT } from './lib.mjs';

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
  for (const [name, file, text] of [['go', 'big.go', go], ['ts', 'big.ts', ts]]) {
    const opened = async () => {
      const doc = new analysis.DocumentAnalysis(file);
      try {
        return await doc.update(text);
      } finally {
        doc.dispose();
      }
    };
    for (let i = 0; i < 5; i++) {
      await analysis.analyze(file, text);
      await opened();
    }
    const times = [];
    const openTimes = [];
    let findings = 0;
    for (let i = 0; i < runs; i++) {
      let t = performance.now();
      findings = (await analysis.analyze(file, text)).length;
      times.push(performance.now() - t);
      t = performance.now();
      const whole = (await opened()).length;
      openTimes.push(performance.now() - t);
      if (whole !== findings) throw new Error(`${file}: the lint found ${findings}, the whole tree ${whole}`);
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
    out[name] = { lines: text.split('\n').length, ms: median(times), openedMs: median(openTimes), afterEditMs: median(edits), findings };
  }
  return out;
}

export function printLint(r) {
  for (const [k, v] of Object.entries(r)) {
    console.log(`lint of a ${v.lines}-line ${k === 'go' ? 'Go' : 'TypeScript'} file (${v.findings} findings), medians after warm-up   (target < 50 ms)`);
    console.log(`  grpc-streams lint: ${fmt(v.ms)} ms; a file just opened in the editor (whole tree): ${fmt(v.openedMs)} ms; after a one-line edit (an open document): ${fmt(v.afterEditMs)} ms`);
  }
}
