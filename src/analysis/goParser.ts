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
