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

const NEW_CALL = /(?<![\w.$])new\(/g;

/**
 * The text tree-sitter parses: Go 1.26's new(expr) (`new(uint64(1))`) written as an ordinary call
 * of the same length (`nev(…)`). tree-sitter-go 0.25 knows only new(Type) and gives up on the
 * rest of the declaration; no rule looks at new, and every offset stays where it was.
 */
export function goParseText(text: string): string {
  return text.includes('new(') ? text.replace(NEW_CALL, 'nev(') : text;
}

/** Undoes goParseText in a fix's text taken from the tree, unless the file itself spells nev(. */
export function restoreNewCalls(original: string, text: string): string {
  return original.includes('nev(') || !text.includes('nev(') ? text : text.replace(/(?<![\w.$])nev\(/g, 'new(');
}
