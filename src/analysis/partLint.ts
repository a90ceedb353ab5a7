// The lint of one part of a large file (splitPlan.ts), and how the parts' answers become the
// file's. The rules look a little beyond the syntax they report on: a gRPC import at the top, a
// call of grpc.KeepaliveParams anywhere (Go), the declaration of a name (TS/JS). A part reports
// what it looked up, and mergeParts accepts the parts' findings only when the rest of the file
// could not have changed them; otherwise (or when a part does not parse cleanly) the caller
// analyzes the whole file.
import { goParser } from './goParser';
import { goTreeFindings } from './goRules';
import { Spellings } from './spellings';
import { lineBreaks, partSees, partText, type FilePart } from './splitPlan';
import { analyzeTsImports, grpcImports, parseTs, type TsLookups } from './tsRules';
import { languageOf, publicFinding, type Finding } from './types';

export interface PartResult {
  findings: Finding[];
  /** False when the part does not parse without errors on its own. */
  clean: boolean;
  /** Go: the part calls grpc.KeepaliveParams. */
  keepalive: boolean;
  /** TS/JS: names the rules looked up as declarations. */
  lookups: string[];
  /** TS/JS: where the part's gRPC import statements end. */
  importEnds: number[];
}

const UNCLEAN: PartResult = { findings: [], clean: false, keepalive: false, lookups: [], importEnds: [] };

export async function analyzePart(fileName: string, text: string, part: FilePart): Promise<PartResult> {
  const language = languageOf(fileName);
  if (!language) return UNCLEAN;
  const view = partText(language, text, part);
  if (language === 'go') {
    const tree = (await goParser()).parse(view);
    if (!tree) return UNCLEAN;
    try {
      if (tree.rootNode.hasError) return UNCLEAN;
      const { findings, keepalive } = goTreeFindings(tree);
      return { findings: findings.map(publicFinding), clean: true, keepalive, lookups: [], importEnds: [] };
    } finally {
      tree.delete();
    }
  }
  const sf = parseTs(fileName, view);
  // parseDiagnostics is not in TypeScript's public types; without it, the part counts as unclean.
  const diagnostics = (sf as unknown as { parseDiagnostics?: unknown[] }).parseDiagnostics;
  if (!diagnostics || diagnostics.length > 0) return UNCLEAN;
  const imports = grpcImports(sf);
  const lookups: TsLookups = { names: new Set() };
  const findings = analyzeTsImports(sf, language, imports, lookups);
  return { findings: findings.map(publicFinding), clean: true, keepalive: false, lookups: [...lookups.names], importEnds: imports?.grpcStatementEnds ?? [] };
}

/**
 * The file's findings from its parts' results, or null when a part's answer may depend on what
 * it did not see: a part that did not parse cleanly, a gRPC import outside the shared support, a
 * looked-up name spelled in another part.
 */
export function mergeParts(fileName: string, text: string, parts: FilePart[], results: PartResult[]): Finding[] | null {
  if (results.length !== parts.length || results.some((r) => !r.clean)) return null;
  const support = parts[0].support;
  if (results.some((r) => r.importEnds.some((end) => end > support))) return null;
  let spellings: Spellings | null = null;
  for (const [i, r] of results.entries()) {
    for (const name of r.lookups) {
      spellings ??= new Spellings(text);
      if (spellings.of(name).some((at) => !partSees(parts[i], at, at + name.length))) return null;
    }
  }
  const keepalive = languageOf(fileName) === 'go' && results.some((r) => r.keepalive);
  // Every part sees the support: what is found there may be found by several parts (a handler
  // declared there, registered in one part or in many), and is kept once.
  const supportLines = lineBreaks(languageOf(fileName) ?? 'typescript', text, 0, support);
  const inSupport = new Set<string>();
  const out: Finding[] = [];
  for (const r of results) {
    for (const f of r.findings) {
      if (keepalive && f.rule === 'server-without-keepalive') continue;
      if (f.range.start.line < supportLines) {
        const key = `${f.rule} ${f.range.start.line}:${f.range.start.column}`;
        if (inSupport.has(key)) continue;
        inSupport.add(key);
      }
      out.push(f);
    }
  }
  return out.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.column - b.range.start.column);
}
