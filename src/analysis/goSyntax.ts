// Small helpers over tree-sitter's Go syntax tree.
import type { Node } from 'web-tree-sitter';

export function descendants(node: Node, types: string | string[]): Node[] {
  return node.descendantsOfType(types).filter((n): n is Node => !!n);
}

/** Parameter names and type texts of a function-like node. */
export function parametersOf(fn: Node): Array<{ name: string; type: string }> {
  const out: Array<{ name: string; type: string }> = [];
  const params = fn.childForFieldName('parameters');
  for (const decl of params?.namedChildren ?? []) {
    if (!decl || (decl.type !== 'parameter_declaration' && decl.type !== 'variadic_parameter_declaration')) continue;
    const type = decl.childForFieldName('type')?.text ?? '';
    for (const c of decl.namedChildren) if (c && c.type === 'identifier') out.push({ name: c.text, type });
  }
  return out;
}

/** Result shape of a function: none, a single `error`, or something else. */
export function resultShape(fn: Node): 'none' | 'error' | 'other' {
  const r = fn.childForFieldName('result');
  if (!r) return 'none';
  if (r.type === 'type_identifier' && r.text === 'error') return 'error';
  if (r.type === 'parameter_list') {
    const decls = r.namedChildren.filter((n): n is Node => !!n && n.type === 'parameter_declaration');
    const names = decls.flatMap((d) => d.namedChildren.filter((c) => c && c.type === 'identifier'));
    if (decls.length === 1 && decls[0].childForFieldName('type')?.text === 'error' && names.length <= 1) return 'error';
  }
  return 'other';
}

/** The import specs of a file: they sit in the import declarations at its top, so no full walk. */
export function importSpecs(root: Node): Node[] {
  const out: Node[] = [];
  // Go puts every import before the first other declaration: stop there, not at the end of a
  // 10,000-line file (each child visited becomes an object on the JavaScript side).
  for (let i = 0, n = root.namedChildCount; i < n; i++) {
    const decl = root.namedChild(i);
    if (!decl || decl.type === 'comment' || decl.type === 'package_clause') continue;
    if (decl.type !== 'import_declaration') break;
    for (const c of decl.namedChildren) {
      if (!c) continue;
      if (c.type === 'import_spec') out.push(c);
      else if (c.type === 'import_spec_list') for (const spec of c.namedChildren) if (spec && spec.type === 'import_spec') out.push(spec);
    }
  }
  return out;
}

/** Local name of an imported package path ("google.golang.org/grpc" → "grpc"), or null. */
export function importName(specs: Node[], path: string): string | null {
  for (const spec of specs) {
    const p = spec.childForFieldName('path');
    if (!p || p.text.slice(1, -1) !== path) continue;
    const name = spec.childForFieldName('name');
    if (name) return name.text === '_' || name.text === '.' ? null : name.text;
    return path.split('/').pop() ?? null;
  }
  return null;
}

export function importsAny(specs: Node[], prefix: string): boolean {
  return specs.some((s) => {
    const p = s.childForFieldName('path')?.text.slice(1, -1) ?? '';
    return p === prefix || p.startsWith(prefix + '/');
  });
}

/** The statements of a block (tree-sitter-go holds them in one statement_list). */
export function statementsOf(block: Node | null | undefined): Node[] {
  const kids = (block?.namedChildren ?? []).filter((c): c is Node => !!c);
  return kids.length === 1 && kids[0].type === 'statement_list' ? kids[0].namedChildren.filter((c): c is Node => !!c) : kids;
}

/** The statements of a loop's body after `st`. */
export function statementsAfter(loop: Node, st: Node): Node[] {
  const stmts = statementsOf(loop.childForFieldName('body'));
  return stmts.slice(stmts.findIndex((c) => c.startIndex === st.startIndex) + 1);
}

/** A `break` that would end the loop these statements are in: not one of an inner for, switch or select. */
function breaksLoop(n: Node): boolean {
  if (n.type === 'break_statement') return n.namedChildCount === 0;
  if (['for_statement', 'expression_switch_statement', 'type_switch_statement', 'select_statement', 'func_literal'].includes(n.type)) return false;
  return n.namedChildren.some((c) => !!c && breaksLoop(c));
}

/**
 * Why a loop's `v := <-ch` cannot become a select that holds the rest of the body, or null:
 * a break there would end the select instead of the loop, and a raw string would be re-indented.
 */
export function receiveFixBlocker(loop: Node, st: Node): string | null {
  const rest = statementsAfter(loop, st);
  if (rest.some(breaksLoop)) return 'a break after the receive would end the select instead of the loop';
  if (rest.some((r) => r.text.includes('`'))) return 'the rest of the loop holds a raw string, which moving would re-indent';
  return null;
}
