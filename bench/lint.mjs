// lint of a 10,000-line Go file and a 10,000-line TypeScript file, after warm-up.
import fs from 'node:fs';
import path from 'node:path';
import { fmt, median, require, ROOT } from './lib.mjs';

const analysis = require('../dist/analysis.js');

function bigFile(source, headerEnd, lines) {
  const header = source.slice(0, headerEnd);
  const body = source.slice(headerEnd);
  let out = header;
  for (let i = 0; out.split('\n').length < lines; i++) out += body.replace(/\b(Upload|upload|ingest|Ingest)\b/g, (m) => `${m}${i}`);
  return out;
}

export async function lintBench({ lines = 10000, runs = 20 } = {}) {
  const goSrc = fs.readFileSync(path.join(ROOT, 'test/fixtures/analysis/go/eof_basic.go'), 'utf8');
  const tsSrc = fs.readFileSync(path.join(ROOT, 'test/fixtures/analysis/ts/arrow_handlers.ts'), 'utf8');
  const go = bigFile(goSrc, goSrc.indexOf('type ingest'), lines);
  const ts = bigFile(tsSrc, tsSrc.indexOf('export function'), lines);
  const out = {};
  for (const [name, file, text] of [['go', 'big.go', go], ['ts', 'big.ts', ts]]) {
    for (let i = 0; i < 5; i++) await analysis.analyze(file, text);
    const times = [];
    let findings = 0;
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      findings = (await analysis.analyze(file, text)).length;
      times.push(performance.now() - t);
    }
    out[name] = { lines: text.split('\n').length, ms: median(times), findings };
  }
  return out;
}

export function printLint(r) {
  for (const [k, v] of Object.entries(r)) console.log(`lint of a ${v.lines}-line ${k === 'go' ? 'Go' : 'TypeScript'} file: ${fmt(v.ms)} ms (median of 20 after warm-up, ${v.findings} findings)   (target < 50 ms)`);
}
