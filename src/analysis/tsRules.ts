// TypeScript/JavaScript rules, on the TypeScript compiler's syntax tree: stream handlers that
// never hear of a cancel and have no idle timeout, and servers without keepalive.
import ts from 'typescript';
import type { ChangedRegion } from './documentAnalysis';
import { Spellings } from './spellings';
import { exportedImplementations, type HandlerNames } from './tsHandlerModules';
import type { Finding, FixKind, Language } from './types';

export const GRPC_MODULE = '@grpc/grpc-js';
export const TS_HELPERS = { untilCancelled: 'untilCancelled', receiveWithIdleTimeout: 'receiveWithIdleTimeout', endWhenIdle: 'endWhenIdle' } as const;

export interface GrpcImports {
  /** Local names bound to the whole module (import * as g, import g from, const g = require(...)). */
  namespaces: string[];
  /** Named imports: exported name → local name. */
  named: Map<string, string>;
  /** Where new import lines go (after the last import), -1 when there is none. */
  lastImportEnd: number;
  usesEsm: boolean;
  /**
   * Other ways this file builds a grpc-js server, as the callee is written: `new x.XdsServer(…)`
   * (@grpc/grpc-js-xds, a subclass of Server) and `createServer(…)` (nice-grpc, which hands its
   * options to grpc-js's Server).
   */
  serverClasses: Set<string>;
  serverFactories: Set<string>;
}

/** A handler module's imports: none of grpc's. */
function noImports(): GrpcImports {
  return { namespaces: [], named: new Map(), lastImportEnd: -1, usesEsm: false, serverClasses: new Set(), serverFactories: new Set() };
}

/** Packages that build a grpc-js server: package → [exported name, how it is called]. */
const SERVER_MAKERS: ReadonlyMap<string, [string, 'new' | 'call']> = new Map([
  ['@grpc/grpc-js-xds', ['XdsServer', 'new']],
  ['nice-grpc', ['createServer', 'call']],
]);

/** The packages whose import makes a file worth analysing (analyzer.ts looks for their names first). */
export const TS_GRPC_PACKAGES: readonly string[] = [GRPC_MODULE, 'google-gax', ...SERVER_MAKERS.keys()];

/** A file that imports a package building grpc-js servers: record how its callee is written. */
function serverMakerImport(out: GrpcImports, module: string, namespace: string | null, named: Array<[string, string]>): boolean {
  const maker = SERVER_MAKERS.get(module);
  if (!maker) return false;
  const [exported, how] = maker;
  const into = how === 'new' ? out.serverClasses : out.serverFactories;
  if (namespace) into.add(`${namespace}.${exported}`);
  for (const [name, local] of named) if (name === exported) into.add(local);
  return true;
}

export interface TsHandlerSite {
  kind: 'handler';
  fn: ts.FunctionLikeDeclaration;
  callName: string;
  callbackName: string | null;
  read: { type: 'on-data'; node: ts.CallExpression } | { type: 'for-await'; node: ts.ForOfStatement };
}

/** An interval or a listener a streaming handler starts for its call and never stops. */
export interface TsSubscriptionSite {
  kind: 'subscription';
  fn: ts.FunctionLikeDeclaration;
  callName: string;
  what: 'interval' | 'listener';
  /** The setInterval(...) or emitter.on(...) call. */
  node: ts.CallExpression;
  /** The statement holding it, directly in a block: an expression statement, or `const x = setInterval(...)`. */
  statement: ts.Statement;
  /** The timer's variable when the interval is kept in a const or let of the handler. */
  timerName: string | null;
  /** For a listener: the emitter's text, the event, and the listener (a function, or a name for one). */
  emitter: string | null;
  event: string | null;
}

export interface TsServerSite {
  kind: 'server';
  /** `new Server(…)`, `new XdsServer(…)`, a subclass's `new …(…)`, or nice-grpc's `createServer(…)`. */
  node: ts.NewExpression | ts.CallExpression;
  options: ts.ObjectLiteralExpression | null;
}

export type TsFinding = Finding & { site: TsHandlerSite | TsServerSite | TsSubscriptionSite };

export function parseTs(fileName: string, text: string): ts.SourceFile {
  const kind = fileName.endsWith('.tsx') ? ts.ScriptKind.TSX : fileName.endsWith('.jsx') ? ts.ScriptKind.JSX : /\.[mc]?ts$/.test(fileName) ? ts.ScriptKind.TS : ts.ScriptKind.JS;
  // No parent pointers: setting them costs a third of the parse, and the rules walk downwards.
  return ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, kind);
}

/** Re-parses after an edit of [start, oldEnd) into [start, newEnd), reusing the nodes it did not touch. */
export function updateTs(sf: ts.SourceFile, text: string, edit: ChangedRegion): ts.SourceFile {
  return ts.updateSourceFile(sf, text, { span: { start: edit.start, length: edit.oldEnd - edit.start }, newLength: edit.newEnd - edit.start });
}

function isRequireOf(e: ts.Expression | undefined, module: string): boolean {
  return !!e && ts.isCallExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === 'require' && e.arguments.length === 1 && ts.isStringLiteral(e.arguments[0]) && e.arguments[0].text === module;
}

function isRequireOfGrpc(e: ts.Expression | undefined): boolean {
  return isRequireOf(e, GRPC_MODULE);
}

export function grpcImports(sf: ts.SourceFile): GrpcImports | null {
  const out = noImports();
  let found = false;
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st)) {
      out.lastImportEnd = st.end;
      out.usesEsm = true;
      // google-gax re-exports grpc-js as `grpc`: `import {grpc} from 'google-gax'` is the same module.
      const gax = st.importClause?.namedBindings;
      if (ts.isStringLiteral(st.moduleSpecifier) && st.moduleSpecifier.text === 'google-gax' && gax && ts.isNamedImports(gax)) {
        for (const el of gax.elements) {
          if ((el.propertyName ?? el.name).text !== 'grpc') continue;
          found = true;
          out.namespaces.push(el.name.text);
        }
        continue;
      }
      const clause = st.importClause;
      if (ts.isStringLiteral(st.moduleSpecifier) && SERVER_MAKERS.has(st.moduleSpecifier.text)) {
        const nb = clause?.namedBindings;
        const ns = nb && ts.isNamespaceImport(nb) ? nb.name.text : clause?.name?.text ?? null;
        const named: Array<[string, string]> = nb && ts.isNamedImports(nb) ? nb.elements.map((el) => [(el.propertyName ?? el.name).text, el.name.text]) : [];
        if (serverMakerImport(out, st.moduleSpecifier.text, ns, named)) found = true;
        continue;
      }
      if (!ts.isStringLiteral(st.moduleSpecifier) || st.moduleSpecifier.text !== GRPC_MODULE) continue;
      found = true;
      if (clause?.name) out.namespaces.push(clause.name.text);
      const nb = clause?.namedBindings;
      if (nb && ts.isNamespaceImport(nb)) out.namespaces.push(nb.name.text);
      if (nb && ts.isNamedImports(nb)) for (const el of nb.elements) out.named.set((el.propertyName ?? el.name).text, el.name.text);
    } else if (ts.isImportEqualsDeclaration(st)) {
      out.lastImportEnd = st.end;
      const ref = st.moduleReference;
      if (ts.isExternalModuleReference(ref) && ts.isStringLiteral(ref.expression) && ref.expression.text === GRPC_MODULE) {
        found = true;
        out.namespaces.push(st.name.text);
      }
    } else if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) {
        if (isRequireOf(d.initializer, 'google-gax') && ts.isObjectBindingPattern(d.name)) {
          // const { grpc } = require('google-gax'): its re-export of grpc-js.
          for (const el of d.name.elements) {
            const exported = el.propertyName && ts.isIdentifier(el.propertyName) ? el.propertyName.text : ts.isIdentifier(el.name) ? el.name.text : '';
            if (exported !== 'grpc' || !ts.isIdentifier(el.name)) continue;
            found = true;
            out.lastImportEnd = st.end;
            out.namespaces.push(el.name.text);
          }
          continue;
        }
        const maker = [...SERVER_MAKERS.keys()].find((m) => isRequireOf(d.initializer, m));
        if (maker) {
          const named: Array<[string, string]> = ts.isObjectBindingPattern(d.name)
            ? d.name.elements.flatMap((el): Array<[string, string]> => (ts.isIdentifier(el.name) ? [[el.propertyName && ts.isIdentifier(el.propertyName) ? el.propertyName.text : el.name.text, el.name.text]] : []))
            : [];
          if (serverMakerImport(out, maker, ts.isIdentifier(d.name) ? d.name.text : null, named)) found = true;
          continue;
        }
        if (!isRequireOfGrpc(d.initializer)) continue;
        found = true;
        out.lastImportEnd = st.end;
        if (ts.isIdentifier(d.name)) out.namespaces.push(d.name.text);
        else if (ts.isObjectBindingPattern(d.name)) {
          for (const el of d.name.elements) if (ts.isIdentifier(el.name)) out.named.set(el.propertyName && ts.isIdentifier(el.propertyName) ? el.propertyName.text : el.name.text, el.name.text);
        }
      }
    }
  }
  return found ? out : null;
}

function walk(node: ts.Node, visit: (n: ts.Node) => void): void {
  // One closure per walk (not per node): this runs over every node of 10,000-line files.
  const rec = (n: ts.Node): undefined => {
    visit(n);
    ts.forEachChild(n, rec);
    return undefined;
  };
  rec(node);
}

/** Walks only into nodes that spell one of `words` (spellings.ts). */
function walkSpelled(node: ts.Node, spellings: Spellings, words: readonly string[], visit: (n: ts.Node) => void): void {
  const rec = (n: ts.Node): undefined => {
    if (!spellings.anyIn(words, n.pos, n.end)) return undefined;
    visit(n);
    ts.forEachChild(n, rec);
    return undefined;
  };
  rec(node);
}

/** The first declaration of a name (function, class or variable), in document order; found on demand. */
class Declarations {
  private readonly found = new Map<string, ts.Node | undefined>();

  constructor(
    private readonly sf: ts.SourceFile,
    private readonly spellings: Spellings,
  ) {}

  get(name: string): ts.Node | undefined {
    if (this.found.has(name)) return this.found.get(name);
    let decl: ts.Node | undefined;
    walkSpelled(this.sf, this.spellings, [name], (n) => {
      if (decl) return;
      if ((ts.isFunctionDeclaration(n) || ts.isClassDeclaration(n)) && n.name?.text === name) decl = n;
      else if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.name.text === name) decl = n;
    });
    this.found.set(name, decl);
    return decl;
  }
}

/** Function-like handler implementations reachable from an addService argument or a class. */
function handlersOf(decls: Declarations, impl: ts.Node | undefined, depth = 0): ts.FunctionLikeDeclaration[] {
  if (!impl || depth > 4) return [];
  if (ts.isParenthesizedExpression(impl) || ts.isAsExpression(impl) || ts.isSatisfiesExpression(impl)) return handlersOf(decls, impl.expression, depth + 1);
  if (ts.isIdentifier(impl)) return handlersOf(decls, decls.get(impl.text), depth + 1);
  if (ts.isVariableDeclaration(impl)) return handlersOf(decls, impl.initializer, depth + 1);
  if (ts.isNewExpression(impl) && ts.isIdentifier(impl.expression)) return handlersOf(decls, decls.get(impl.expression.text), depth + 1);
  if (ts.isFunctionDeclaration(impl) || ts.isFunctionExpression(impl) || ts.isArrowFunction(impl)) return [impl];
  const out: ts.FunctionLikeDeclaration[] = [];
  if (ts.isObjectLiteralExpression(impl)) {
    for (const p of impl.properties) {
      if (ts.isMethodDeclaration(p)) out.push(p);
      else if (ts.isPropertyAssignment(p)) out.push(...handlersOf(decls, p.initializer, depth + 1));
      else if (ts.isShorthandPropertyAssignment(p)) out.push(...handlersOf(decls, p.name, depth + 1));
    }
  } else if (ts.isClassDeclaration(impl) || ts.isClassExpression(impl)) {
    for (const m of impl.members) {
      if (ts.isMethodDeclaration(m) && m.body) out.push(m);
      else if (ts.isPropertyDeclaration(m) && m.initializer) out.push(...handlersOf(decls, m.initializer, depth + 1));
    }
  }
  return out;
}

const IMPLEMENTS_SERVICE = /(Server|Handlers|ServiceImplementation)$/;
/** grpc-js's types of a call the handler reads from: a handler is known by its first parameter's type. */
const RECEIVING_CALL_TYPES = ['ServerReadableStream', 'ServerDuplexStream'];
/** And the types of a call the handler writes to. */
const STREAM_CALL_TYPES = [...RECEIVING_CALL_TYPES, 'ServerWritableStream'];

/** `call: grpc.ServerReadableStream<…>` or `call: ServerDuplexStream<…>` (as imported from grpc-js). */
function isReceivingCallType(type: ts.TypeNode | undefined, imports: GrpcImports, types: string[] = RECEIVING_CALL_TYPES): boolean {
  if (!type || !ts.isTypeReferenceNode(type)) return false;
  const name = type.typeName;
  if (ts.isQualifiedName(name)) return ts.isIdentifier(name.left) && imports.namespaces.includes(name.left.text) && types.includes(name.right.text);
  return types.some((t) => imports.named.get(t) === name.text);
}

function isFunctionLike(n: ts.Node): n is ts.FunctionLikeDeclaration {
  return ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isFunctionExpression(n) || ts.isArrowFunction(n);
}

interface FileScan {
  handlers: ts.FunctionLikeDeclaration[];
  servers: Array<ts.NewExpression | ts.CallExpression>;
  declarations: Declarations;
}

/**
 * One walk over the parts of the file that spell addService, new or implements: addService
 * calls, service classes and `new Server(...)` expressions.
 */
function scanFile(sf: ts.SourceFile, imports: GrpcImports, spellings: Spellings, registered?: HandlerNames): FileScan {
  const declarations = new Declarations(sf, spellings);
  const implementations: ts.Node[] = [];
  const servers: Array<ts.NewExpression | ts.CallExpression> = [];
  const serverNames = imports.named.get('Server');
  // Every `new X.Server(...)` spells "new"; "Server" is spelled all over a gRPC file (in types such
  // as ServerDuplexStream), and looking where it is would walk into every handler.
  const typed: ts.FunctionLikeDeclaration[] = [];
  const classes: Array<ts.ClassDeclaration | ts.ClassExpression> = [];
  // `new X(…)` where X may be a class of this file that extends Server: judged after the walk.
  const newOfName: ts.NewExpression[] = [];
  const isServerClass = (e: ts.Expression): boolean =>
    (ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.expression) && imports.namespaces.includes(e.expression.text) && e.name.text === 'Server') ||
    (ts.isIdentifier(e) && serverNames === e.text) ||
    ((ts.isIdentifier(e) || ts.isPropertyAccessExpression(e)) && imports.serverClasses.has(e.getText(sf))) ||
    // grpc-js-xds's own code and tests import it by a relative path; the class name is its own.
    (ts.isPropertyAccessExpression(e) && e.name.text === 'XdsServer' && imports.namespaces.length > 0);
  walkSpelled(sf, spellings, ['addService', 'new', 'implements', 'extends', 'createServer', ...STREAM_CALL_TYPES], (n) => {
    if (isFunctionLike(n) && isReceivingCallType(n.parameters[0]?.type, imports, STREAM_CALL_TYPES)) typed.push(n);
    if (ts.isClassDeclaration(n) || ts.isClassExpression(n)) classes.push(n);
    if (ts.isCallExpression(n)) {
      if (ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'addService' && n.arguments.length >= 2) {
        let impl = n.arguments[1];
        while (ts.isParenthesizedExpression(impl) || ts.isAsExpression(impl) || ts.isSatisfiesExpression(impl)) impl = impl.expression;
        // addService(service, this): the class the call is written in (the innermost that holds it).
        const own = impl.kind === ts.SyntaxKind.ThisKeyword ? classes.filter((c) => c.pos <= n.pos && n.end <= c.end).pop() : impl;
        if (own) implementations.push(own);
      } else if (imports.serverFactories.size > 0 && (ts.isIdentifier(n.expression) || ts.isPropertyAccessExpression(n.expression)) && imports.serverFactories.has(n.expression.getText(sf))) {
        servers.push(n);
      }
    } else if (ts.isNewExpression(n)) {
      if (isServerClass(n.expression)) servers.push(n);
      else if (ts.isIdentifier(n.expression)) newOfName.push(n);
    } else if (ts.isClassDeclaration(n) && n.heritageClauses?.some((h) => h.token === ts.SyntaxKind.ImplementsKeyword && h.types.some((t) => IMPLEMENTS_SERVICE.test(t.expression.getText(sf))))) {
      implementations.push(n);
    }
  });
  // class TypedServer extends grpc.Server { … }: its instances are servers too.
  // One whose constructor takes no options builds them itself: nothing to judge where it is made.
  const takesOptions = (c: ts.ClassDeclaration | ts.ClassExpression) => !c.members.some((m) => ts.isConstructorDeclaration(m) && m.parameters.length === 0);
  const subclasses = new Set(classes.filter((c) => c.name && takesOptions(c) && c.heritageClauses?.some((h) => h.token === ts.SyntaxKind.ExtendsKeyword && h.types.some((t) => isServerClass(t.expression)))).map((c) => (c.name as ts.Identifier).text));
  for (const n of newOfName) if (subclasses.has((n.expression as ts.Identifier).text)) servers.push(n);
  servers.sort((a, b) => a.pos - b.pos);
  const handlers = new Set<ts.FunctionLikeDeclaration>(typed);
  // Exports another file passes to addService (tsHandlerModules.ts).
  if (registered) for (const impl of exportedImplementations(sf, registered)) ts.isMethodDeclaration(impl) ? handlers.add(impl) : implementations.push(impl);
  for (const impl of implementations) for (const h of handlersOf(declarations, impl)) handlers.add(h);
  return { handlers: [...handlers], servers, declarations };
}

const LISTEN_METHODS: ReadonlySet<string> = new Set(['on', 'once', 'addListener', 'prependListener', 'prependOnceListener']);
const DATA_EVENTS: ReadonlySet<string> = new Set(['data']);
const END_EVENTS: ReadonlySet<string> = new Set(['cancelled', 'error', 'close']);

/** The object a chain of listener calls starts from: `call` in `call.on('data', f).on('error', g)`. */
function listenedObject(e: ts.Expression): ts.Expression {
  while (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && LISTEN_METHODS.has(e.expression.name.text)) e = e.expression.expression;
  return e;
}

function isEventCall(n: ts.Node, target: string, events: ReadonlySet<string>): n is ts.CallExpression {
  if (!ts.isCallExpression(n) || !ts.isPropertyAccessExpression(n.expression)) return false;
  const object = listenedObject(n.expression.expression);
  return (
    ts.isIdentifier(object) &&
    object.text === target &&
    LISTEN_METHODS.has(n.expression.name.text) &&
    n.arguments.length >= 1 &&
    ts.isStringLiteralLike(n.arguments[0]) &&
    events.has(n.arguments[0].text)
  );
}

const TIMEOUT_CALLS = new Set<string>(['setTimeout', ...Object.values(TS_HELPERS)]);

/** setTimeout(…), timers.setTimeout(…), AbortSignal.timeout(…) or one of our helpers. */
function isTimeoutCall(callee: ts.Expression): boolean {
  if (ts.isIdentifier(callee)) return TIMEOUT_CALLS.has(callee.text);
  if (!ts.isPropertyAccessExpression(callee) || !ts.isIdentifier(callee.expression)) return false;
  const [obj, prop] = [callee.expression.text, callee.name.text];
  return (obj === 'AbortSignal' && prop === 'timeout') || (obj === 'timers' && prop === 'setTimeout');
}

const ENDING_METHODS: ReadonlySet<string> = new Set(['end', 'destroy', 'emit', 'cancel']);

/**
 * A timer that can end the call: our helpers and AbortSignal.timeout, or a setTimeout whose
 * callback ends the call (call.end/destroy/emit/cancel, or the callback given an error). A
 * setTimeout that only delays a write is no idle timeout. A callback passed by name: assumed to.
 */
function isIdleTimeout(n: ts.CallExpression, callName: string, callbackName: string | null): boolean {
  if (!isTimeoutCall(n.expression)) return false;
  const name = ts.isIdentifier(n.expression) ? n.expression.text : ts.isPropertyAccessExpression(n.expression) ? n.expression.name.text : '';
  if (name !== 'setTimeout') return true;
  const cb = n.arguments[0];
  if (!cb || !(ts.isArrowFunction(cb) || ts.isFunctionExpression(cb))) return true;
  // Only what the timer itself runs: a call ended in a nested callback (an error passed on after
  // another call answers) is not ended by the timer.
  const ends = (m: ts.Node): boolean => {
    if (isFunctionLike(m)) return false;
    if (ts.isCallExpression(m)) {
      const e = m.expression;
      if (ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === callName && ENDING_METHODS.has(e.name.text)) return true;
      const first = m.arguments[0];
      if (callbackName && ts.isIdentifier(e) && e.text === callbackName && first && first.kind !== ts.SyntaxKind.NullKeyword && !(ts.isIdentifier(first) && first.text === 'undefined')) return true;
    }
    return ts.forEachChild(m, ends) ?? false;
  };
  return ts.forEachChild(cb.body, ends) ?? (ts.isExpression(cb.body) && ends(cb.body));
}

/**
 * What a handler does depends on its own subtree only, and TypeScript's incremental parser reuses
 * the node objects of subtrees an edit did not touch: so an open document re-walks only the
 * handlers that changed.
 */
const handlerSites = new WeakMap<ts.FunctionLikeDeclaration, TsHandlerSite | null>();

function analyzeHandler(fn: ts.FunctionLikeDeclaration): TsHandlerSite | null {
  let site = handlerSites.get(fn);
  if (site === undefined) handlerSites.set(fn, (site = walkHandler(fn)));
  return site;
}

function walkHandler(fn: ts.FunctionLikeDeclaration): TsHandlerSite | null {
  const first = fn.parameters[0];
  if (!fn.body || !first || !ts.isIdentifier(first.name)) return null;
  const callName = first.name.text;
  const second = fn.parameters[1];
  let read: TsHandlerSite['read'] | null = null;
  let handlesEnd = false;
  let hasTimeout = false;
  // Handler bodies are small: walked whole (looking up where their call's name is spelled would
  // cost more), with one switch on the node's kind.
  walk(fn.body, (n) => {
    switch (n.kind) {
      case ts.SyntaxKind.CallExpression:
        if (!read && isEventCall(n, callName, DATA_EVENTS)) read = { type: 'on-data', node: n as ts.CallExpression };
        if (isEventCall(n, callName, END_EVENTS)) handlesEnd = true;
        if (!hasTimeout && isIdleTimeout(n as ts.CallExpression, callName, second && ts.isIdentifier(second.name) ? second.name.text : null)) hasTimeout = true;
        break;
      case ts.SyntaxKind.ForOfStatement: {
        const f = n as ts.ForOfStatement;
        if (!read && f.awaitModifier && ts.isIdentifier(f.expression) && f.expression.text === callName) read = { type: 'for-await', node: f };
        break;
      }
      case ts.SyntaxKind.PropertyAccessExpression: {
        const p = n as ts.PropertyAccessExpression;
        if (ts.isIdentifier(p.expression) && p.expression.text === callName && p.name.text === 'cancelled') handlesEnd = true;
        break;
      }
    }
  });
  if (!read || handlesEnd || hasTimeout) return null;
  return { kind: 'handler', fn, callName, callbackName: second && ts.isIdentifier(second.name) ? second.name.text : null, read };
}

const subscriptionSites = new WeakMap<ts.FunctionLikeDeclaration, TsSubscriptionSite[]>();

function analyzeSubscriptions(fn: ts.FunctionLikeDeclaration, sf: ts.SourceFile): TsSubscriptionSite[] {
  let sites = subscriptionSites.get(fn);
  if (sites === undefined) subscriptionSites.set(fn, (sites = walkSubscriptions(fn, sf)));
  return sites;
}

const ADD_LISTENER = new Set(['on', 'addListener']);
const REMOVE_LISTENER = new Set(['off', 'removeListener', 'removeAllListeners']);

/** Whether a node's text names the call (`call.write(`, `call.end(`): what keeps the call alive. */
function mentionsCall(sf: ts.SourceFile, n: ts.Node, callName: string): boolean {
  return new RegExp(`\\b${callName}\\s*[.[]`).test(textOf(sf, n));
}

/** A node's own text, without the comments and blank space before it. */
function textOf(sf: ts.SourceFile, n: ts.Node): string {
  return sf.text.slice(n.getStart(sf), n.end);
}

/**
 * Intervals and listeners a handler starts that write to its call and are never stopped in it:
 * `setInterval(() => call.write(…))` with no clearInterval, `emitter.on('x', (…) => call.write(…))`
 * with no removeListener/off on that emitter. A handler that listens for the call's end
 * ('cancelled', 'close', 'error', or reads call.cancelled) may stop them there: no finding.
 * An interval whose timer is handed anywhere (stored in an object, passed on) is no finding either.
 */
function walkSubscriptions(fn: ts.FunctionLikeDeclaration, sf: ts.SourceFile): TsSubscriptionSite[] {
  const first = fn.parameters[0];
  if (!fn.body || !ts.isBlock(fn.body) || !first || !ts.isIdentifier(first.name)) return [];
  const callName = first.name.text;
  // Most handlers start no interval and listen only on their call: nothing to walk for.
  const bodyText = textOf(sf, fn.body);
  if (!bodyText.includes('setInterval') && !listensElsewhere(bodyText, callName)) return [];
  const candidates: Array<{ node: ts.CallExpression; what: 'interval' | 'listener'; emitter: string | null; event: string | null }> = [];
  const removed = new Set<string>();
  const timerRefs = new Map<string, number>();
  /** What clearInterval/clearTimeout are given: a timer's name, or `this` inside the timer's own callback. */
  const cleared = new Set<string>();
  let handlesEnd = false;
  walk(fn.body, (n) => {
    if (ts.isCallExpression(n)) {
      const e = n.expression;
      if (isEventCall(n, callName, END_EVENTS)) handlesEnd = true;
      if (ts.isIdentifier(e) && (e.text === 'clearInterval' || e.text === 'clearTimeout')) {
        const arg = n.arguments[0];
        if (arg) cleared.add(arg.kind === ts.SyntaxKind.ThisKeyword ? 'this' : textOf(sf, arg));
      }
      else if (ts.isIdentifier(e) && e.text === 'setInterval' && n.arguments[0] && mentionsCall(sf, n.arguments[0], callName)) candidates.push({ node: n, what: 'interval', emitter: null, event: null });
      else if (ts.isPropertyAccessExpression(e)) {
        const target = textOf(sf, e.expression);
        if (REMOVE_LISTENER.has(e.name.text)) removed.add(target);
        else if (ADD_LISTENER.has(e.name.text) && target !== callName && n.arguments.length === 2 && ts.isStringLiteralLike(n.arguments[0])) {
          const listener = n.arguments[1];
          if ((ts.isArrowFunction(listener) || ts.isFunctionExpression(listener)) && mentionsCall(sf, listener, callName)) {
            candidates.push({ node: n, what: 'listener', emitter: target, event: n.arguments[0].text });
          }
        }
      }
    } else if (ts.isPropertyAccessExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === callName && n.name.text === 'cancelled') {
      handlesEnd = true;
    } else if (ts.isIdentifier(n)) {
      timerRefs.set(n.text, (timerRefs.get(n.text) ?? 0) + 1);
    }
  });
  if (handlesEnd || candidates.length === 0) return [];
  const out: TsSubscriptionSite[] = [];
  for (const c of candidates) {
    // A timer cleared by its name, or from its own callback (`clearInterval(this)`), is stopped somewhere.
    if (c.what === 'interval' && cleared.has('this') && textOf(sf, c.node).includes('clearInterval(this)')) continue;
    if (c.what === 'listener' && removed.has(c.emitter as string)) continue;
    // The statement it is in must sit directly in a block of the handler, as written.
    const statement = statementOf(fn.body, c.node);
    if (!statement) continue;
    let timerName: string | null = null;
    if (ts.isVariableStatement(statement)) {
      const d = statement.declarationList.declarations[0];
      if (statement.declarationList.declarations.length !== 1 || !ts.isIdentifier(d.name) || d.initializer !== c.node) continue;
      timerName = d.name.text;
      if (c.what === 'interval' && cleared.has(timerName)) continue;
      // Kept for later (stored, passed on): it may well be stopped there.
      if ((timerRefs.get(timerName) ?? 0) > 1 + [...cleared].filter((x) => x === timerName).length) continue;
    } else if (!ts.isExpressionStatement(statement) || statement.expression !== c.node) continue;
    out.push({ kind: 'subscription', fn, callName, what: c.what, node: c.node, statement, timerName, emitter: c.emitter, event: c.event });
  }
  return out;
}

/** Whether a text calls `.on(` or `.addListener(` on something other than the call (no RegExp: this runs per handler). */
function listensElsewhere(text: string, callName: string): boolean {
  for (const m of ['.on(', '.addListener(']) {
    for (let i = text.indexOf(m); i >= 0; i = text.indexOf(m, i + 1)) {
      let j = i;
      while (j > 0 && /\s/.test(text[j - 1])) j--;
      const before = text.slice(j - callName.length, j);
      if (before !== callName || /[\w$.]/.test(text[j - callName.length - 1] ?? '')) return true;
    }
  }
  return false;
}

/** The statement directly in a block (of `body`) whose expression or initializer is `node`, or null. */
function statementOf(body: ts.Block, node: ts.Node): ts.Statement | null {
  let found: ts.Statement | null = null;
  walk(body, (n) => {
    if (found || !ts.isBlock(n)) return;
    for (const st of n.statements) {
      if (ts.isExpressionStatement(st) && st.expression === node) found = st;
      else if (ts.isVariableStatement(st) && st.declarationList.declarations.some((d) => d.initializer === node)) found = st;
    }
  });
  return found;
}

function hasKeepaliveOption(o: ts.ObjectLiteralExpression): boolean {
  return o.properties.some((p) => ts.isSpreadAssignment(p) || (p.name && (ts.isStringLiteral(p.name) || ts.isIdentifier(p.name)) && p.name.text === 'grpc.keepalive_time_ms'));
}

function rangeOf(sf: ts.SourceFile, start: number, end: number): Finding['range'] {
  const s = sf.getLineAndCharacterOfPosition(start);
  const e = sf.getLineAndCharacterOfPosition(end);
  return { start: { line: s.line, column: s.character }, end: { line: e.line, column: e.character } };
}

/**
 * A file's findings. `registered`: what other files pass to addService from this module (lint
 * knows it; tsHandlerModules.ts), so a handler module with no grpc import is analysed too.
 */
export function analyzeTsSource(sf: ts.SourceFile, language: Language, registered?: HandlerNames): TsFinding[] {
  const imports = grpcImports(sf) ?? (registered ? noImports() : null);
  if (!imports) return [];
  const findings: TsFinding[] = [];
  const spellings = new Spellings(sf.text);
  const scanned = scanFile(sf, imports, spellings, registered);
  for (const fn of scanned.handlers) {
    const site = analyzeHandler(fn);
    if (!site) continue;
    const node = site.read.node;
    const start = node.getStart(sf);
    const end = site.read.type === 'on-data' ? site.read.node.arguments[0].end : site.read.node.expression.end + 1;
    const fixes: FixKind[] = ['context-aware', 'async-receive'];
    findings.push({
      rule: 'stream-handler-ignores-cancel',
      language,
      range: rangeOf(sf, start, end),
      message: `This handler reads ${site.callName} ${site.read.type === 'on-data' ? "with on('data')" : 'with for await'} but never handles 'cancelled' or 'error' and has no idle timeout: if the client vanishes without closing its connection, it waits forever.`,
      fixes,
      site,
    });
  }
  for (const fn of scanned.handlers) {
    for (const site of analyzeSubscriptions(fn, sf)) {
      const callee = site.node.expression;
      const message =
        site.what === 'interval'
          ? `This handler starts an interval that writes to ${site.callName} and never clears it: when the call ends (the client cancels, goes away, or the stream finishes) the interval keeps running, and keeps ${site.callName} and all it holds.`
          : `This handler adds a '${site.event}' listener to ${site.emitter} that writes to ${site.callName} and never removes it: when the call ends (the client cancels, goes away, or the stream finishes) ${site.emitter} keeps the listener, and with it ${site.callName} and all it holds.`;
      findings.push({ rule: 'stream-subscription-outlives-call', language, range: rangeOf(sf, callee.getStart(sf), callee.end), message, fixes: ['cleanup-on-end'], site });
    }
  }
  for (const n of scanned.servers) {
    const e = n.expression;
    const arg = n.arguments?.[0];
    let options: ts.ObjectLiteralExpression | null = null;
    if (arg) {
      let resolved: ts.Node | undefined = arg;
      if (ts.isIdentifier(arg)) {
        const d = scanned.declarations.get(arg.text);
        resolved = d && ts.isVariableDeclaration(d) ? d.initializer : undefined;
      }
      if (!resolved || !ts.isObjectLiteralExpression(resolved)) continue; // built elsewhere: cannot tell
      if (hasKeepaliveOption(resolved)) continue;
      options = resolved;
    }
    findings.push({
      rule: 'server-without-keepalive',
      language,
      range: rangeOf(sf, n.getStart(sf), e.end),
      message: "This gRPC server has no keepalive ('grpc.keepalive_time_ms'): grpc-js never notices a client that vanished without closing its connection (nor does Node, which sets no TCP keepalive), so the connection and any call open on it stay.",
      fixes: ['keepalive'],
      site: { kind: 'server', node: n, options },
    });
  }
  return findings.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.column - b.range.start.column);
}
