// The one entry point: findings for a file, and the edits of one fix. Used by the CLI (lint/fix)
// and by the VS Code diagnostics and code actions.
import { declaresHelper, GO_HELPER_NAME, goFixEdits } from './goFixes';
import { analyzeWhole } from './documentAnalysis';
import { goParser, goParseText, restoreNewCalls } from './goParser';
import { goLintSpans, toRanges } from './goRegions';
import { analyzeGoTree, type GoFacts } from './goRules';
import type { Node } from 'web-tree-sitter';
import { withLineEndingsOf } from './textLines';
import { tsFixEdits } from './tsFixes';
import type { HandlerNames } from './tsHandlerModules';
import { analyzeTsSource, parseTs, TS_GRPC_PACKAGES } from './tsRules';
import { AnalysisError, applyEdits, DEFAULT_FIX_OPTIONS, languageOf, publicFinding, type Finding, type FixKind, type FixOptions, type TextEdit } from './types';

/**
 * Findings for a file parsed from nothing (`grpc-streams lint`). `registered`: what other files
 * pass to addService from this TS/JS module (tsHandlerModules.ts).
 */
export function analyze(fileName: string, text: string, registered?: HandlerNames): Promise<Finding[]> {
  return languageOf(fileName) === 'go' ? lintGo(fileName, text) : analyzeWhole(fileName, text, registered);
}

/**
 * A Go file's findings from the declarations that can hold one (goRegions.ts); the whole file when
 * that is most of it, or when what was parsed has a syntax error (a cut in the wrong place, or a
 * broken file: then the whole file decides).
 */
export async function lintGo(fileName: string, text: string, worthSkipping?: number): Promise<Finding[]> {
  return (await lintGoReport(fileName, text, worthSkipping)).findings;
}

/** Where the first syntax error of a tree is (1-based line), or null. */
function firstSyntaxError(root: Node): number | null {
  if (!root.hasError) return null;
  const c = root.walk();
  try {
    // Down into the first child that holds an error, until the error itself.
    for (;;) {
      const n = c.currentNode;
      if (n.isError || n.isMissing) return n.startPosition.row + 1;
      let found = false;
      for (let ok = c.gotoFirstChild(); ok; ok = c.gotoNextSibling()) {
        if (c.currentNode.hasError || c.currentNode.isMissing) {
          found = true;
          break;
        }
      }
      if (!found) return n.startPosition.row + 1;
    }
  } finally {
    c.delete();
  }
}

/** A Go file's findings, and the line of its first syntax error when it does not parse. */
export async function lintGoReport(fileName: string, text: string, worthSkipping?: number, facts?: GoFacts): Promise<{ findings: Finding[]; syntaxErrorLine: number | null }> {
  const parser = await goParser();
  const spans = goLintSpans(text, worthSkipping);
  const parsed = goParseText(text);
  let tree = spans ? parser.parse(parsed, null, { includedRanges: toRanges(text, spans) }) : null;
  if (tree?.rootNode.hasError) {
    tree.delete();
    tree = null;
  }
  tree ??= parser.parse(parsed);
  if (!tree) throw new AnalysisError(`could not parse ${fileName}`);
  try {
    return { findings: analyzeGoTree(tree, text, facts).map(publicFinding), syntaxErrorLine: firstSyntaxError(tree.rootNode) };
  } finally {
    tree.delete();
  }
}

/** True when a file imports gRPC at all (diagnostics stay off otherwise). */
export function mentionsGrpc(fileName: string, text: string): boolean {
  const lang = languageOf(fileName);
  // A handler file may import only its generated package: a Recv() call is enough to look.
  if (lang === 'go') return text.includes('google.golang.org/grpc') || text.includes('.Recv()') || text.includes('.Send(');
  if (lang) return TS_GRPC_PACKAGES.some((p) => text.includes(p));
  return false;
}

/** Which finding a fix is for: its line (0-based), rule, and for a handler module what registers it. */
export interface FixWhere {
  line: number;
  rule?: string;
  registered?: HandlerNames;
}

/**
 * The edits of one fix for the finding of `rule` that starts on `line` (0-based). The file is
 * parsed afresh, so the edits always match the text given; new lines end as the file's do.
 */
export async function fixEdits(fileName: string, text: string, where: FixWhere, kind: FixKind, options: FixOptions = DEFAULT_FIX_OPTIONS): Promise<TextEdit[]> {
  const lang = languageOf(fileName);
  if (!lang) throw new AnalysisError(`${fileName} is not a Go, TypeScript or JavaScript file.`);
  if (lang === 'go') {
    const parser = await goParser();
    const tree = parser.parse(goParseText(text));
    if (!tree) throw new AnalysisError(`could not parse ${fileName}`);
    try {
      const f = pick(analyzeGoTree(tree, text), where, kind, fileName);
      const edits = goFixEdits(text, tree, f, kind, options).map((e) => ({ ...e, newText: restoreNewCalls(text, e.newText) }));
      return withLineEndingsOf(text, edits);
    } finally {
      tree.delete();
    }
  }
  const sf = parseTs(fileName, text);
  const f = pick(analyzeTsSource(sf, lang, where.registered), where, kind, fileName);
  return withLineEndingsOf(text, tsFixEdits(sf, f, kind, options));
}

function pick<F extends Finding>(findings: F[], where: { line: number; rule?: string }, kind: FixKind, fileName: string): F {
  const onLine = findings.filter((f) => f.range.start.line === where.line && (!where.rule || f.rule === where.rule));
  if (onLine.length === 0) throw new AnalysisError(`${fileName}:${where.line + 1}: no finding on that line (run grpc-streams lint ${fileName}).`);
  const f = onLine.find((x) => x.fixes.includes(kind));
  if (!f) throw new AnalysisError(`${fileName}:${where.line + 1}: the ${kind} fix does not apply there (it offers: ${onLine.flatMap((x) => x.fixes).join(', ') || 'none'}).`);
  return f;
}

export async function fixText(fileName: string, text: string, where: FixWhere, kind: FixKind, options?: FixOptions): Promise<string> {
  return applyEdits(text, await fixEdits(fileName, text, where, kind, options));
}

/**
 * Whether one of these Go files (the same package) already declares the async-receive helper. A
 * declaration in a _test.go file counts only for a test file: the package's own build omits it.
 */
export async function goHelperDeclaredIn(files: Array<{ name: string; text: string }>, forFile = '', helper: string = GO_HELPER_NAME): Promise<boolean> {
  const parser = await goParser();
  const forTest = forFile.endsWith('_test.go');
  for (const f of files) {
    if (!f.name.endsWith('.go') || !f.text.includes(helper)) continue;
    if (f.name.endsWith('_test.go') && !forTest) continue;
    const tree = parser.parse(goParseText(f.text));
    if (!tree) continue;
    try {
      if (declaresHelper(tree.rootNode, helper)) return true;
    } finally {
      tree.delete();
    }
  }
  return false;
}
