// `grpc-streams lint`: walks paths, analyzes every Go/TS/JS file that imports gRPC.
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { analyze, mentionsGrpc } from './analyzer';
import { languageOf, type Finding } from './types';

const SKIP_DIRS = new Set(['node_modules', 'vendor', '.git', 'dist', 'out', '.vscode-test', 'third_party']);

export interface FileFinding extends Finding {
  file: string;
}

/** Why a path cannot be read, in words. */
export function unreadable(p: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException).code;
  return new Error(code === 'ENOENT' ? `${p}: no such file or directory` : code === 'EACCES' ? `${p}: permission denied` : `${p}: cannot be read (${code ?? String(e)})`);
}

/**
 * The Go/TS/JS files under `paths`, in a stable order. Paths given are read or are an error; what
 * the walk finds is skipped when it cannot be read (a broken link), and each directory is walked
 * once (a link back up the tree would never end).
 */
export function collectFiles(paths: string[]): string[] {
  const out: string[] = [];
  const walked = new Set<string>();
  const visit = (p: string, explicit: boolean): void => {
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      if (explicit) throw unreadable(p, e);
      return;
    }
    if (st.isDirectory()) {
      if (!explicit && SKIP_DIRS.has(p.split(/[\\/]/).pop() ?? '')) return;
      let entries: string[];
      try {
        const real = realpathSync(p);
        if (walked.has(real)) return;
        walked.add(real);
        entries = readdirSync(p).sort();
      } catch (e) {
        if (explicit) throw unreadable(p, e);
        return;
      }
      for (const e of entries) visit(join(p, e), false);
    } else if (languageOf(p) && (explicit || !/\.d\.[mc]?ts$/.test(p))) {
      out.push(p);
    }
  };
  for (const p of paths) visit(p, true);
  return out;
}

export async function lintPaths(paths: string[], cwd = process.cwd()): Promise<FileFinding[]> {
  const findings: FileFinding[] = [];
  for (const file of collectFiles(paths)) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw unreadable(file, e);
    }
    if (!mentionsGrpc(file, text)) continue;
    for (const f of await analyze(file, text)) findings.push({ file: relative(cwd, file) || file, ...f });
  }
  return findings;
}
