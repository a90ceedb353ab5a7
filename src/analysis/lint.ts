// `grpc-streams lint`: walks paths, analyzes every Go/TS/JS file that imports gRPC.
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { analyze, lintGoReport, mentionsGrpc } from './analyzer';
import { registrationsIn, resolveRelative, type HandlerNames } from './tsHandlerModules';
import { ChannelResultsCollector } from './goChannelMethods';
import type { GoFacts } from './goRules';
import { parseTs } from './tsRules';
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

/** A file that could not be analysed (whole or in part), and why. */
export interface FileProblem {
  file: string;
  /** 1-based, when the problem has a place. */
  line: number | null;
  message: string;
}

/**
 * Findings under `paths`. Files that cannot be analysed (a syntax error, not text) are added to
 * `problems` when given: their findings, if any, cover only what parsed.
 */
export async function lintPaths(paths: string[], cwd = process.cwd(), problems?: FileProblem[]): Promise<FileFinding[]> {
  const findings: FileFinding[] = [];
  const files = collectFiles(paths);
  // One read of every file: what the rules need to know across files (channel-returning
  // declarations, addService registrations) is gathered, and the texts worth analysing kept.
  const kept = new Map<string, string>();
  const channels = new ChannelResultsCollector();
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw unreadable(file, e);
    }
    if (languageOf(file) === 'go') channels.add(text);
    if (text.includes('\0') || mentionsGrpc(file, text)) kept.set(file, text);
  }
  const registered = handlerRegistrations(files, (f) => kept.get(f) ?? null);
  const goFacts: GoFacts = { channelResults: channels.result() };
  for (const file of files) {
    const names = registered.get(resolve(file));
    let text = kept.get(file);
    if (text === undefined && names) text = readFileSync(file, 'utf8');
    if (text === undefined) continue;
    const name = relative(cwd, file) || file;
    if (text.includes('\0')) {
      problems?.push({ file: name, line: null, message: 'not a text file (it holds NUL bytes), so it was not analysed' });
      continue;
    }
    if (languageOf(file) === 'go') {
      const report = await lintGoReport(file, text, undefined, goFacts);
      for (const f of report.findings) findings.push({ file: name, ...f });
      if (report.syntaxErrorLine !== null) problems?.push({ file: name, line: report.syntaxErrorLine, message: 'syntax error: the file does not parse, so what follows it may have gone unchecked' });
      continue;
    }
    for (const f of await analyze(file, text, names)) findings.push({ file: name, ...f });
  }
  return findings;
}

/**
 * What the TS/JS files among `files` pass to addService from each other (absolute path → names):
 * handlers in modules of their own, which need not import grpc. Unreadable files are left to the
 * main pass to report.
 */
export function handlerRegistrations(files: string[], textOf: (file: string) => string | null): Map<string, HandlerNames> {
  const tsFiles = files.filter((f) => languageOf(f) && languageOf(f) !== 'go');
  const known = new Set(tsFiles.map((f) => resolve(f)));
  const out = new Map<string, HandlerNames>();
  for (const file of tsFiles) {
    const text = textOf(file);
    if (text === null || !text.includes('addService') || !mentionsGrpc(file, text)) continue;
    for (const [specifier, names] of registrationsIn(parseTs(file, text))) {
      const target = resolveRelative(resolve(file), specifier, known);
      if (!target) continue;
      const had = out.get(target);
      out.set(target, names === '*' || had === '*' ? '*' : new Set([...(had ?? []), ...names]));
    }
  }
  return out;
}

/** For `fix` on one file: what the files beside it and one directory up register from it. */
export function registrationsNear(file: string): HandlerNames | undefined {
  const dir = dirname(resolve(file));
  const near: string[] = [];
  for (const d of new Set([dir, dirname(dir)])) {
    try {
      for (const e of readdirSync(d)) if (languageOf(e) && languageOf(e) !== 'go') near.push(join(d, e));
    } catch { /* unreadable: nothing registered from there */ }
  }
  const read = (f: string): string | null => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return null;
    }
  };
  return handlerRegistrations([...near, resolve(file)], read).get(resolve(file));
}
