// The parts of a Go file a lint has to parse. Every Go rule looks within one top-level declaration
// (the loop, the function around it, its parameters) and at the imports, except one: a call of
// grpc.KeepaliveParams anywhere configures every server of the file. So a declaration that spells
// none of Recv, Send, NewServer and KeepaliveParams (nor a type that spells Server, nor a function
// that takes a server stream and ranges or selects) cannot change a finding, and tree-sitter can skip it
// (`includedRanges`): offsets, rows and columns stay those of the whole file.
//
// Declarations are found from the text: a line that starts, at column 0, with `func`, `type`,
// `var` or `const`. The text only proposes; a cut that is not between two declarations (inside a
// raw string, or in code that gofmt never wrote) leaves a syntax error in what is parsed, and the
// caller then parses the whole file.
import type { Range } from 'web-tree-sitter';
import { Spellings } from './spellings';
import { pointsIn } from './textLines';

const DECLARATION_STARTS = ['func ', 'type ', 'var ', 'const '];

/** The words that make a declaration worth parsing: each rule's anchor (goRules.ts). */
export const GO_RULE_WORDS = ['Recv', 'Send', 'NewServer', 'KeepaliveParams'];

/** Below this share of the file, skipping declarations saves less than tree-sitter's cost per range. */
const WORTH_SKIPPING = 0.85;

/** A signature (up to the body's brace) that names a generated or generic server stream type. */
const SERVER_STREAM_PARAM = /_\w*Server\b|StreamingServer\[/;

/** Whether the function declared at [from, to) takes a server stream, by its signature's text. */
export function takesServerStream(text: string, from: number, to: number): boolean {
  const brace = text.indexOf('{', from);
  return SERVER_STREAM_PARAM.test(text.slice(from, brace < 0 || brace > to ? to : brace));
}

function startsDeclaration(text: string, at: number): boolean {
  for (const s of DECLARATION_STARTS) if (text.startsWith(s, at)) return true;
  return false;
}

/** Offsets of the lines that start a top-level declaration, in order. */
export function declarationStarts(text: string): number[] {
  const out: number[] = [];
  if (startsDeclaration(text, 0)) out.push(0);
  for (let nl = text.indexOf('\n'); nl !== -1 && nl + 1 < text.length; nl = text.indexOf('\n', nl + 1)) {
    if (startsDeclaration(text, nl + 1)) out.push(nl + 1);
  }
  return out;
}

/**
 * [start, end) offsets to parse: the package clause and imports (everything before the first
 * declaration), then each declaration that spells a rule's word, adjacent ones joined. Null when
 * that is (nearly) the whole file.
 */
export function goLintSpans(text: string, worthSkipping = WORTH_SKIPPING): Array<[number, number]> | null {
  const starts = declarationStarts(text);
  if (starts.length === 0) return null;
  const spellings = new Spellings(text);
  const spans: Array<[number, number]> = [[0, starts[0]]];
  let kept = starts[0];
  for (let i = 0; i < starts.length; i++) {
    const [from, to] = [starts[i], i + 1 < starts.length ? starts[i + 1] : text.length];
    // Struct types that spell Server can declare the stream a loop uses (a channel field is read
    // from the text); functions that take a server stream and range or select can send through a helper.
    const typeFields = text.startsWith('type ', from) && spellings.anyIn(['Server'], from, to);
    const streamParams = text.startsWith('func ', from) && spellings.anyIn(['range', 'select'], from, to) && takesServerStream(text, from, to);
    if (!typeFields && !streamParams && !spellings.anyIn(GO_RULE_WORDS, from, to)) continue;
    const last = spans[spans.length - 1];
    if (last[1] === from) last[1] = to;
    else spans.push([from, to]);
    kept += to - from;
  }
  return kept > text.length * worthSkipping ? null : spans;
}

/** The spans as tree-sitter ranges: rows and columns counted as tree-sitter counts them (\n only). */
export function toRanges(text: string, spans: Array<[number, number]>): Range[] {
  const pointAt = pointsIn(text);
  return spans.map(([from, to]) => {
    const startPosition = pointAt(from);
    return { startIndex: from, endIndex: to, startPosition, endPosition: pointAt(to) };
  });
}
