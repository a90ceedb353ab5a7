// `grpc-streams lint`: walks paths, analyzes every Go/TS/JS file that imports gRPC.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { analyze, mentionsGrpc } from './analyzer';
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

export async function lintPaths(paths: string[], cwd = process.cwd()): Promise<FileFinding[]> {
  const findings: FileFinding[] = [];
  for (const file of collectFiles(paths)) {
    const text = readFileSync(file, 'utf8');
    if (!mentionsGrpc(file, text)) continue;
    for (const f of await analyze(file, text)) findings.push({ file: relative(cwd, file) || file, ...f });
  }
  return findings;
}
