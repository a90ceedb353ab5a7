// tree-sitter's Go grammar, compiled to WebAssembly, loaded once per process.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
// `import = require` so bundlers pick the package's CommonJS build (its ESM build needs import.meta).
import webTreeSitter = require('web-tree-sitter');

const { Language, Parser } = webTreeSitter;
type Parser = webTreeSitter.Parser;

let parser: Promise<Parser> | null = null;

/** Where the .wasm files are: next to the bundle in dist/, or in node_modules when run from out/. */
function wasmPath(file: 'tree-sitter.wasm' | 'tree-sitter-go.wasm'): string {
  const bundled = join(__dirname, file);
  if (existsSync(bundled)) return bundled;
  const pkg = file === 'tree-sitter.wasm' ? 'web-tree-sitter' : 'tree-sitter-go';
  return require.resolve(`${pkg}/${file}`);
}

export function goParser(): Promise<Parser> {
  if (!parser) {
    parser = (async () => {
      await Parser.init({ locateFile: () => wasmPath('tree-sitter.wasm') });
      const go = await Language.load(wasmPath('tree-sitter-go.wasm'));
      const p = new Parser();
      p.setLanguage(go);
      return p;
    })();
    parser.catch(() => {
      parser = null;
    });
  }
  return parser;
}

/** `new(` as a call of the predeclared function (not `x.new(`, not `renew(`). */
const NEW_CALL = /(?<![\w.$])new\(/g;
/** What starts a type tree-sitter parses inside new(…) itself: `[`, `map[`, `struct`, `*`… */
const TYPE_START = /^\s*(?:\[|map\s*\[|struct\b|func\b|chan\b|<-|\*|interface\b)/;

/** The offset of the bracket that closes the one at `open` (strings and runes skipped), or -1. */
function closing(text: string, open: number): number {
  const pairs: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
  const stack: string[] = [];
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      if (c === '`') j = text.indexOf('`', j);
      else while (j < text.length && text[j] !== c && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      if (j < 0) return -1;
      i = j;
    } else if (pairs[c]) stack.push(pairs[c]);
    else if (c === ')' || c === ']' || c === '}') {
      if (stack.pop() !== c) return -1;
      if (stack.length === 0) return i;
    }
  }
  return -1;
}

/** new(T{…}) and the like: a composite literal, whose last brace group does not close a struct or interface type. */
function isCompositeLiteral(arg: string): boolean {
  const t = arg.trimEnd();
  if (!t.endsWith('}')) return false;
  let depth = 0;
  for (let i = t.length - 1; i >= 0; i--) {
    if (t[i] === '}') depth++;
    else if (t[i] === '{' && --depth === 0) return !/\b(?:struct|interface)\s*$/.test(t.slice(0, i));
  }
  return false;
}

/**
 * The text tree-sitter parses: Go 1.26's new(expr) (`new(uint64(1))`, `new(map[string]any{…})`)
 * written as an ordinary call of the same length (`nev(…)`). tree-sitter-go 0.25 knows only
 * new(Type) and gives up on the rest of the declaration; new(Type) is left as it is. No rule looks
 * at new, and every offset stays where it was.
 */
export function goParseText(text: string): string {
  if (!text.includes('new(')) return text;
  const at: number[] = [];
  for (const m of text.matchAll(NEW_CALL)) {
    const open = m.index + 3;
    const close = closing(text, open);
    if (close < 0) continue;
    const arg = text.slice(open + 1, close);
    if (TYPE_START.test(arg) && !isCompositeLiteral(arg)) continue;
    at.push(m.index + 2);
  }
  if (at.length === 0) return text;
  // Pieces between the rewritten letters: one string built once, not an array of characters.
  let out = '';
  let from = 0;
  for (const i of at) {
    out += text.slice(from, i) + 'v';
    from = i + 1;
  }
  return out + text.slice(from);
}

/** Undoes goParseText in a fix's text taken from the tree, unless the file itself spells nev(. */
export function restoreNewCalls(original: string, text: string): string {
  return original.includes('nev(') || !text.includes('nev(') ? text : text.replace(/(?<![\w.$])nev\(/g, 'new(');
}
