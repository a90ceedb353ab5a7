// `grpc-streams lint`: walks paths, analyzes every Go/TS/JS file that imports gRPC.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { analyze, mentionsGrpc } from './analyzer';
import { LintPool, MIN_PART_CHARS } from './lintPool';
import { languageOf, type Finding } from './types';

const SKIP_DIRS = new Set(['node_modules', 'vendor', '.git', 'dist', 'out', '.vscode-test', 'third_party']);

export interface FileFinding extends Finding {
  file: string;
}

export function collectFiles(paths: string[]): string[] {
  const out: string[] = [];
  const visit = (p: string, explicit: boolean): void => {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new Error(`${p}: no such file or directory`);
    }
    if (st.isDirectory()) {
      if (!explicit && SKIP_DIRS.has(p.split(/[\\/]/).pop() ?? '')) return;
      for (const e of readdirSync(p).sort()) visit(join(p, e), false);
    } else if (languageOf(p) && (explicit || !/\.d\.[mc]?ts$/.test(p))) {
      out.push(p);
    }
  };
  for (const p of paths) visit(p, true);
  return out;
}

/**
 * Large files are cut into parts analyzed on worker threads (lintPool.ts): once warm, a
 * 10,000-line file takes about half as long. But workers start cold: loading the parsers takes
 * them about 0.4 s, and their first parts run several times slower until V8 has optimized the
 * parsers. Measured here (README), the pool loses below about 10 MB of large files and wins above.
 */
export function worthAPool(sizes: number[]): boolean {
  return sizes.filter((s) => s >= 2 * MIN_PART_CHARS).reduce((a, b) => a + b, 0) >= POOL_MIN_BYTES;
}

const POOL_MIN_BYTES = 16 * 1024 * 1024;

export interface LintOptions {
  /** Cut large files into parts on worker threads: by default when worthAPool says so. */
  workers?: boolean;
}

export async function lintPaths(paths: string[], cwd = process.cwd(), options: LintOptions = {}): Promise<FileFinding[]> {
  const files = collectFiles(paths);
  const pool = (options.workers ?? worthAPool(files.map((f) => statSync(f).size))) ? new LintPool() : null;
  try {
    const findings: FileFinding[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      if (!mentionsGrpc(file, text)) continue;
      for (const f of await (pool ? pool.lint(file, text) : analyze(file, text))) findings.push({ file: relative(cwd, file) || file, ...f });
    }
    return findings;
  } finally {
    pool?.dispose();
  }
}
