// The analysis of one open document, kept between edits. A 10,000-line file takes 40 to 50 ms
// to parse from nothing; after an edit, tree-sitter (Go) and TypeScript re-parse only what the
// edit touched and reuse the rest of the previous tree. The rules then run over the new tree.
import type ts from 'typescript';
import type { Tree } from 'web-tree-sitter';
import { goParser, goParseText } from './goParser';
import { analyzeGoTree } from './goRules';
import { pointsIn } from './textLines';
import type { HandlerNames } from './tsHandlerModules';
import { analyzeTsSource, parseTs, updateTs } from './tsRules';
import { AnalysisError, languageOf, publicFinding, type Finding, type Language } from './types';

/** Where two texts differ: [start, oldEnd) of the old text became [start, newEnd) of the new one. */
export interface ChangedRegion {
  start: number;
  oldEnd: number;
  newEnd: number;
}

/** The one region that covers every difference (common prefix and suffix left out), or null when equal. */
export function changedRegion(oldText: string, newText: string): ChangedRegion | null {
  if (oldText === newText) return null;
  const max = Math.min(oldText.length, newText.length);
  // Whole blocks first: comparing two substrings runs in native code, a character at a time in
  // JavaScript costs 2 ms for the untouched part of a 10,000-line file.
  let start = 0;
  while (start + BLOCK <= max && oldText.slice(start, start + BLOCK) === newText.slice(start, start + BLOCK)) start += BLOCK;
  while (start < max && oldText.charCodeAt(start) === newText.charCodeAt(start)) start++;
  let oldEnd = oldText.length;
  let newEnd = newText.length;
  while (oldEnd - BLOCK >= start && newEnd - BLOCK >= start && oldText.slice(oldEnd - BLOCK, oldEnd) === newText.slice(newEnd - BLOCK, newEnd)) {
    oldEnd -= BLOCK;
    newEnd -= BLOCK;
  }
  while (oldEnd > start && newEnd > start && oldText.charCodeAt(oldEnd - 1) === newText.charCodeAt(newEnd - 1)) {
    oldEnd--;
    newEnd--;
  }
  // Never split a surrogate pair: tree-sitter reads the text as UTF-16 code units in pairs.
  if (start > 0 && isLowSurrogate(newText.charCodeAt(start))) start--;
  return { start, oldEnd, newEnd };
}

const isLowSurrogate = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;
const BLOCK = 1024;

/** Findings from a parse of the whole file: what an editor that just opened it finds. */
export async function analyzeWhole(fileName: string, text: string, registered?: HandlerNames): Promise<Finding[]> {
  const doc = new DocumentAnalysis(fileName, registered);
  try {
    return await doc.update(text);
  } finally {
    doc.dispose();
  }
}

export class DocumentAnalysis {
  private text: string | null = null;
  private goTree: Tree | null = null;
  private tsFile: ts.SourceFile | null = null;
  private readonly language: Language | null;

  /** `registered`: what other files pass to addService from this module (tsHandlerModules.ts). */
  constructor(readonly fileName: string, private readonly registered?: HandlerNames) {
    this.language = languageOf(fileName);
  }

  /** Findings for the document's text now; re-parses incrementally from the previous text. */
  async update(text: string): Promise<Finding[]> {
    if (this.language === 'go') return (await this.updateGo(text)).map(publicFinding);
    if (this.language) return this.updateTs(text, this.language).map(publicFinding);
    return [];
  }

  private async updateGo(original: string): Promise<ReturnType<typeof analyzeGoTree>> {
    const parser = await goParser();
    // The tree and the edits it is told of are of the text as parsed (goParseText: same offsets).
    const text = goParseText(original);
    // Taken out while it changes: if anything below fails, the next update starts afresh.
    const old = this.goTree;
    const previous = this.text;
    this.goTree = null;
    this.text = null;
    let tree: Tree | null = null;
    try {
      if (old && previous === text) {
        tree = old;
      } else if (old && previous !== null) {
        const region = changedRegion(previous, text);
        if (region) {
          // start <= newEnd: one pass over the new text for both.
          const inText = pointsIn(text);
          const startPosition = inText(region.start);
          old.edit({
            startIndex: region.start,
            oldEndIndex: region.oldEnd,
            newEndIndex: region.newEnd,
            startPosition,
            oldEndPosition: pointsIn(previous)(region.oldEnd),
            newEndPosition: inText(region.newEnd),
          });
        }
        tree = parser.parse(text, old);
      } else {
        tree = parser.parse(text);
      }
    } finally {
      if (old && tree !== old) old.delete();
    }
    if (!tree) throw new AnalysisError(`could not parse ${this.fileName}`);
    this.goTree = tree;
    this.text = text;
    return analyzeGoTree(tree, original);
  }

  private updateTs(text: string, language: Language): ReturnType<typeof analyzeTsSource> {
    const old = this.tsFile;
    const previous = this.text;
    let sf: ts.SourceFile;
    if (!old || previous === null) {
      sf = parseTs(this.fileName, text);
    } else if (previous === text) {
      sf = old;
    } else {
      const region = changedRegion(previous, text);
      try {
        // The old tree is given up to the update: TypeScript reuses (and moves) its nodes.
        sf = region ? updateTs(old, text, region) : old;
      } catch {
        // TypeScript's incremental parser asserts its invariants; a fresh parse is always right.
        sf = parseTs(this.fileName, text);
      }
    }
    this.tsFile = sf;
    this.text = text;
    return analyzeTsSource(sf, language, this.registered);
  }

  dispose(): void {
    this.goTree?.delete();
    this.goTree = null;
    this.tsFile = null;
    this.text = null;
  }
}
