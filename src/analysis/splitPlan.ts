// Where a large file can be cut so that its parts are parsed at the same time, on other threads.
// A cut goes at the start of a line that begins a top-level declaration with a keyword that cannot
// continue the statement before it (`func`, `type`, `export`, `class`...). The text only proposes
// cuts: a part that does not parse cleanly on its own (a cut inside a comment, a multi-line string
// or a block) makes the lint analyze the whole file instead (partLint.ts).
import type { Language } from './types';

const GO_STARTS = ['func ', 'type ', 'var ', 'const '];
const TS_STARTS = ['export ', 'function ', 'async function ', 'class ', 'abstract class ', 'interface ', 'enum ', 'declare ', 'const ', 'var '];

/** One part of a file: its own lines [start, end), and [0, support) shared by every part. */
export interface FilePart {
  support: number;
  start: number;
  end: number;
}

/** What every part needs: Go's package clause and imports; for TS/JS, up to the last line that names @grpc/grpc-js. */
function supportEnd(language: Language, text: string, starts: readonly string[]): number {
  let from = 0;
  if (language !== 'go') {
    const last = text.lastIndexOf('@grpc/grpc-js');
    if (last === -1) return -1;
    from = last;
  }
  return nextCut(text, from, starts, text.length);
}

function startsDeclaration(text: string, at: number, starts: readonly string[]): boolean {
  for (const s of starts) if (text.startsWith(s, at)) return true;
  return false;
}

/** The first line start in (from, limit) that begins a declaration, or -1. */
function nextCut(text: string, from: number, starts: readonly string[], limit: number): number {
  for (let nl = text.indexOf('\n', from); nl !== -1 && nl + 1 < limit; nl = text.indexOf('\n', nl + 1)) {
    if (startsDeclaration(text, nl + 1, starts)) return nl + 1;
  }
  return -1;
}

/** The last line start in (limit, from] that begins a declaration, or -1. */
function previousCut(text: string, from: number, starts: readonly string[], limit: number): number {
  for (let nl = text.lastIndexOf('\n', from - 1); nl !== -1 && nl + 1 > limit; nl = text.lastIndexOf('\n', nl - 1)) {
    if (startsDeclaration(text, nl + 1, starts)) return nl + 1;
  }
  return -1;
}

/**
 * Up to `parts` parts of about equal size, each at least `minChars` long, or null when the file
 * is too small or offers no cut.
 */
export function splitPlan(language: Language, text: string, parts: number, minChars: number): FilePart[] | null {
  if (parts < 2 || text.length < 2 * minChars) return null;
  const starts = language === 'go' ? GO_STARTS : TS_STARTS;
  const support = supportEnd(language, text, starts);
  if (support === -1) return null;
  const count = Math.min(parts, Math.floor(text.length / minChars));
  const cuts: number[] = [];
  let previous = support;
  for (let i = 1; i < count; i++) {
    const target = Math.round((text.length * i) / count);
    const after = nextCut(text, target - 1, starts, text.length);
    const before = previousCut(text, target, starts, previous);
    const best = [after, before].filter((c) => c > previous && c - previous >= minChars && text.length - c >= minChars).sort((a, b) => Math.abs(a - target) - Math.abs(b - target))[0];
    if (best === undefined) continue;
    cuts.push(best);
    previous = best;
  }
  return cuts.length === 0 ? null : partsAt(text, support, cuts);
}

/** The parts of a file cut at `cuts` (increasing offsets after the support). */
export function partsAt(text: string, support: number, cuts: number[]): FilePart[] {
  const bounds = [0, ...cuts, text.length];
  return cuts.concat(text.length).map((end, i) => ({ support, start: bounds[i], end }));
}

/** Where the support of a file ends (see FilePart), or -1 when a TS/JS file never names @grpc/grpc-js. */
export function supportOf(language: Language, text: string): number {
  return supportEnd(language, text, language === 'go' ? GO_STARTS : TS_STARTS);
}

/**
 * The text a part is parsed from: its support, then as many empty lines as the file has between
 * the support and the part, then the part's own lines. Every line and column in the part is the
 * same as in the whole file (offsets are not: findings carry lines and columns).
 */
export function partText(language: Language, text: string, part: FilePart): string {
  if (part.start <= part.support) return text.slice(0, part.end);
  return text.slice(0, part.support) + '\n'.repeat(lineBreaks(language, text, part.support, part.start)) + text.slice(part.start, part.end);
}

/** Line breaks in [from, to) as the language's parser counts them: tree-sitter counts \n; TypeScript also a lone \r, U+2028 and U+2029. */
export function lineBreaks(language: Language, text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) n++;
  if (language === 'go') return n;
  const rare = (c: string): boolean => {
    const i = text.indexOf(c, from);
    return i !== -1 && i < to;
  };
  if (!rare('\r') && !rare('\u2028') && !rare('\u2029')) return n;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2028 || c === 0x2029 || (c === 13 && text.charCodeAt(i + 1) !== 10)) n++;
  }
  return n;
}

/** True when [from, to) of the file lies within what the part sees. */
export function partSees(part: FilePart, from: number, to: number): boolean {
  return (to <= part.support || (from >= part.start && to <= part.end)) && from >= 0;
}
