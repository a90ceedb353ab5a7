// lint of a 10,000-line Go file and a 10,000-line TypeScript file, after warm-up: from nothing
// (the CLI, which parses only the Go declarations that can hold a finding), a file just opened in
// VS Code (its whole syntax tree, kept for later edits), and after a one-line edit (an open
// document, re-parsed incrementally). Two kinds of file each: dense ones (a fixture repeated, a
// finding every few lines: the worst case) and real code (net/http's and grpc-js's own sources
// with one gRPC server and stream handler added).
import { execFileSync } from 'node:child_process';
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

/** The first `lines` lines of these files, in order (each cut by `keep` first). */
function firstLines(files, lines, keep = (t) => t) {
  const out = [];
  for (const f of files) {
    if (out.length >= lines) break;
    out.push(...keep(fs.readFileSync(f, 'utf8')).split('\n'));
  }
  return out.slice(0, lines).join('\n') + '\n';
}

const sourcesIn = (dir, ext) => fs.readdirSync(dir).filter((f) => f.endsWith(ext) && !f.endsWith(`_test${ext}`)).sort().map((f) => path.join(dir, f));

/**
 * 10,000 lines of real code: Go's net/http (from the installed Go, or null without one) under one
 * import block, and grpc-js's TypeScript sources; each ends with a stream handler and a server.
 */
export function realFiles(lines = 10000) {
  const tsBody = firstLines(sourcesIn(path.join(ROOT, 'node_modules/@grpc/grpc-js/src'), '.ts'), lines - 20);
  const ts = `import * as grpc from '@grpc/grpc-js';\n${tsBody}\nexport function startIngest(): grpc.Server {\n  const server = new grpc.Server();\n  server.addService({} as grpc.ServiceDefinition, {\n    upload: (call: grpc.ServerReadableStream<unknown, unknown>) => {\n      call.on('data', () => undefined);\n    },\n  });\n  return server;\n}\n`;
  let go = null;
  try {
    const goroot = execFileSync('go', ['env', 'GOROOT'], { encoding: 'utf8' }).trim();
    // Each file's declarations, without its package clause and imports.
    const cut = firstLines(sourcesIn(path.join(goroot, 'src/net/http'), '.go'), lines - 30, (t) => {
      const first = t.search(/^(func|type|var|const) /m);
      return first === -1 ? '' : t.slice(first);
    });
    // Cut between two declarations, not inside one: the file must be valid Go.
    const lastDecl = Math.max(...['\nfunc ', '\ntype ', '\nvar ', '\nconst '].map((d) => cut.lastIndexOf(d)));
    const body = lastDecl > 0 ? cut.slice(0, lastDecl + 1) : cut;
    go = `package http\n\nimport (\n\t"io"\n\n\tpb "example.com/demo/pb"\n\t"google.golang.org/grpc"\n)\n\n${body}\nfunc (s *ingest) Upload(stream pb.Ingest_UploadServer) error {\n\tfor {\n\t\t_, err := stream.Recv()\n\t\tif err == io.EOF {\n\t\t\treturn nil\n\t\t}\n\t}\n}\n\nfunc Serve() *grpc.Server { return grpc.NewServer() }\n`;
  } catch {
    // No Go installed: the real Go file is left out.
  }
  return { go, ts };
}

export async function lintBench({ lines = 10000, runs = 20 } = {}) {
  const dense = bigFiles(lines);
  const real = realFiles(lines);
  const out = {};
  const cases = [
    ['go', 'big.go', dense.go],
    ['ts', 'big.ts', dense.ts],
    ['goReal', 'real.go', real.go],
    ['tsReal', 'real.ts', real.ts],
  ].filter((c) => c[2] !== null);
  for (const [name, file, text] of cases) {
    const opened = () => analysis.analyzeWhole(file, text);
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
    const kind = k.endsWith('Real') ? (k === 'goReal' ? "Go file of real code (net/http's sources)" : "TypeScript file of real code (grpc-js's sources)") : k === 'go' ? 'Go file, dense with findings' : 'TypeScript file, dense with findings';
    console.log(`lint of a ${v.lines}-line ${kind} (${v.findings} findings), medians after warm-up   (target < 50 ms)`);
    console.log(`  grpc-streams lint: ${fmt(v.ms)} ms; a file just opened in the editor (whole tree): ${fmt(v.openedMs)} ms; after a one-line edit (an open document): ${fmt(v.afterEditMs)} ms`);
  }
}
