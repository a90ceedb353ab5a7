// Handlers written in modules of their own: `server.addService(svc, { avg })` with `avg` imported
// from './avgImpl', or `addService(svc, require('./impl'))`. The handler's module need not import
// grpc at all, so it is known only from the file that registers it. Pure: which modules and which
// exported names (registrations), and which functions a module exports under those names.
import * as ts from 'typescript';
import { dirname, resolve } from 'node:path';

/** Exported names of one module that are handlers; '*' when the whole module is the implementation. */
export type HandlerNames = Set<string> | '*';

/** Module specifier (relative, as written) → the names registered from it. */
export type Registrations = Map<string, HandlerNames>;

function unwrap(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e)) e = e.expression;
  return e;
}

const isRelative = (s: string): boolean => s.startsWith('./') || s.startsWith('../');

function requiredModule(e: ts.Expression | undefined): string | null {
  if (!e) return null;
  e = unwrap(e);
  return ts.isCallExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === 'require' && e.arguments.length === 1 && ts.isStringLiteral(e.arguments[0]) && isRelative(e.arguments[0].text) ? e.arguments[0].text : null;
}

/** Local names bound to relative modules: `import { a as b }`, `import * as m`, `const { a } = require(...)`, `const m = require(...)`. */
function relativeBindings(sf: ts.SourceFile): Map<string, { module: string; exported: string | '*' }> {
  const out = new Map<string, { module: string; exported: string | '*' }>();
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier) && isRelative(st.moduleSpecifier.text)) {
      const module = st.moduleSpecifier.text;
      const clause = st.importClause;
      if (clause?.name) out.set(clause.name.text, { module, exported: 'default' });
      const nb = clause?.namedBindings;
      if (nb && ts.isNamespaceImport(nb)) out.set(nb.name.text, { module, exported: '*' });
      if (nb && ts.isNamedImports(nb)) for (const el of nb.elements) out.set(el.name.text, { module, exported: (el.propertyName ?? el.name).text });
    } else if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) {
        const module = requiredModule(d.initializer);
        if (!module) continue;
        if (ts.isIdentifier(d.name)) out.set(d.name.text, { module, exported: '*' });
        else if (ts.isObjectBindingPattern(d.name)) {
          for (const el of d.name.elements) {
            if (!ts.isIdentifier(el.name)) continue;
            out.set(el.name.text, { module, exported: el.propertyName && ts.isIdentifier(el.propertyName) ? el.propertyName.text : el.name.text });
          }
        }
      }
    }
  }
  return out;
}

/** What the addService calls of a file register from relative modules. */
export function registrationsIn(sf: ts.SourceFile): Registrations {
  const out: Registrations = new Map();
  if (!sf.text.includes('addService')) return out;
  const bindings = relativeBindings(sf);
  const add = (module: string, name: string | '*') => {
    const had = out.get(module);
    if (name === '*' || had === '*') out.set(module, '*');
    else out.set(module, new Set([...(had ?? []), name]));
  };
  const fromName = (local: string) => {
    const b = bindings.get(local);
    if (b) add(b.module, b.exported);
  };
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'addService' && n.arguments.length >= 2) {
      let impl = unwrap(n.arguments[1]);
      if (ts.isNewExpression(impl)) impl = impl.expression;
      const required = requiredModule(impl);
      if (required) add(required, '*');
      else if (ts.isIdentifier(impl)) fromName(impl.text);
      else if (ts.isObjectLiteralExpression(impl)) {
        for (const p of impl.properties) {
          if (ts.isShorthandPropertyAssignment(p)) fromName(p.name.text);
          else if (ts.isPropertyAssignment(p)) {
            const v = unwrap(p.initializer);
            if (ts.isIdentifier(v)) fromName(v.text);
            else if (ts.isPropertyAccessExpression(v) && ts.isIdentifier(v.expression)) {
              const b = bindings.get(v.expression.text);
              if (b && b.exported === '*') add(b.module, v.name.text);
            }
          } else if (ts.isSpreadAssignment(p) && ts.isIdentifier(p.expression)) fromName(p.expression.text);
        }
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

const EXTENSIONS = ['', '.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs', '/index.ts', '/index.js'];

/** The file a relative specifier names, among `known` files (absolute paths); null when none is. */
export function resolveRelative(fromFile: string, specifier: string, known: ReadonlySet<string>): string | null {
  const base = resolve(dirname(fromFile), specifier);
  // TypeScript sources import './x.js' for x.ts.
  const stems = [base, base.replace(/\.[mc]?js$/, '')];
  for (const stem of stems) for (const ext of EXTENSIONS) if (known.has(stem + ext)) return stem + ext;
  return null;
}

/** The function of an exported binding: a function or arrow, or a class (its methods). */
function implementationOf(e: ts.Node | undefined): ts.Node | null {
  if (!e) return null;
  if (ts.isFunctionDeclaration(e) || ts.isClassDeclaration(e)) return e;
  if (ts.isVariableDeclaration(e)) return e.initializer ? implementationOf(e.initializer) : null;
  const x = unwrap(e as ts.Expression);
  if (ts.isArrowFunction(x) || ts.isFunctionExpression(x) || ts.isClassExpression(x) || ts.isObjectLiteralExpression(x)) return x;
  return null;
}

/**
 * The implementations a module exports under `names` (all of them for '*'): `exports.x = …`,
 * `module.exports.x = …`, `module.exports = { … }`, `export function x`, `export const x = …`,
 * `export class X`, `export default …`. The caller turns them into handlers as addService would.
 */
export function exportedImplementations(sf: ts.SourceFile, names: HandlerNames): ts.Node[] {
  const wanted = (name: string) => names === '*' || names.has(name);
  const locals = new Map<string, ts.Node>();
  for (const st of sf.statements) {
    if (ts.isFunctionDeclaration(st) && st.name) locals.set(st.name.text, st);
    if (ts.isClassDeclaration(st) && st.name) locals.set(st.name.text, st);
    if (ts.isVariableStatement(st)) for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name)) locals.set(d.name.text, d);
  }
  const out: ts.Node[] = [];
  const push = (n: ts.Node | undefined) => {
    const impl = n && ts.isIdentifier(n) ? implementationOf(locals.get(n.text)) : implementationOf(n);
    if (impl) out.push(impl);
  };
  const exportedModifier = (n: ts.Node) => ts.canHaveModifiers(n) && (ts.getModifiers(n) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  for (const st of sf.statements) {
    if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st)) && st.name && exportedModifier(st)) {
      const isDefault = (ts.getModifiers(st) ?? []).some((m) => m.kind === ts.SyntaxKind.DefaultKeyword);
      if (wanted(st.name.text) || (isDefault && wanted('default'))) push(st);
    } else if (ts.isVariableStatement(st) && exportedModifier(st)) {
      for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name) && wanted(d.name.text)) push(d);
    } else if (ts.isExportAssignment(st) && wanted('default')) {
      push(st.expression);
    } else if (ts.isExportDeclaration(st) && !st.moduleSpecifier && st.exportClause && ts.isNamedExports(st.exportClause)) {
      for (const el of st.exportClause.elements) if (wanted(el.name.text)) push(el.propertyName ?? el.name);
    } else if (ts.isExpressionStatement(st) && ts.isBinaryExpression(st.expression) && st.expression.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      const left = st.expression.left;
      const right = st.expression.right;
      const text = left.getText(sf);
      const m = /^(?:module\.)?exports\.([A-Za-z_$][\w$]*)$/.exec(text);
      if (m && wanted(m[1])) push(right);
      else if (text === 'module.exports') {
        const r = unwrap(right);
        if (ts.isObjectLiteralExpression(r)) {
          for (const p of r.properties) {
            if (ts.isShorthandPropertyAssignment(p) && wanted(p.name.text)) push(p.name);
            else if (ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && wanted(p.name.text)) push(p.initializer);
            else if (ts.isMethodDeclaration(p) && ts.isIdentifier(p.name) && wanted(p.name.text)) out.push(p);
          }
        } else if (names === '*') push(r);
      }
    }
  }
  return out;
}
