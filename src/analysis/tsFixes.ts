// TypeScript/JavaScript fixes. Helpers are added once at the end of the file (function
// declarations are hoisted), typed against @grpc/grpc-js in TypeScript and plain in JavaScript.
import ts from 'typescript';
import { grpcImports, GRPC_MODULE, TS_HELPERS, type TsFinding, type TsHandlerSite, type TsServerSite, type TsSubscriptionSite } from './tsRules';
import { lineIndent } from './textLines';
import { AnalysisError, type FixKind, type FixOptions, type TextEdit } from './types';

interface Style {
  isTs: boolean;
  quote: string;
  unit: string;
  /** How the helpers refer to grpc-js types (TypeScript only). */
  typesNs: string;
}

function detectStyle(sf: ts.SourceFile, isTs: boolean): Style {
  const text = sf.text;
  let quote = "'";
  const imp = /(['"])@grpc\/grpc-js\1/.exec(text);
  if (imp) quote = imp[1];
  const indents = text.split('\n').map((l) => /^( +|\t+)\S/.exec(l)?.[1]).filter((x): x is string => !!x);
  const unit = indents.some((i) => i.startsWith('\t')) ? '\t' : indents.length > 0 ? ' '.repeat(Math.max(2, Math.min(...indents.map((i) => i.length)))) : '  ';
  const imports = grpcImports(sf);
  return { isTs, quote, unit: unit.length > 4 ? '  ' : unit, typesNs: imports?.namespaces[0] ?? 'grpcTypes' };
}

function declaresFunction(sf: ts.SourceFile, name: string): boolean {
  return sf.statements.some((s) => ts.isFunctionDeclaration(s) && s.name?.text === name);
}

/** `import type * as grpcTypes from '@grpc/grpc-js'` when the file has no namespace import to use. */
function typeImportEdit(sf: ts.SourceFile, style: Style): TextEdit[] {
  if (!style.isTs || style.typesNs !== 'grpcTypes') return [];
  if (sf.statements.some((s) => ts.isImportDeclaration(s) && s.importClause?.namedBindings && ts.isNamespaceImport(s.importClause.namedBindings) && s.importClause.namedBindings.name.text === 'grpcTypes')) return [];
  const imports = grpcImports(sf);
  const at = imports && imports.lastImportEnd >= 0 ? imports.lastImportEnd : 0;
  const line = `import type * as grpcTypes from ${style.quote}${GRPC_MODULE}${style.quote};`;
  return [{ start: at, end: at, newText: at === 0 ? `${line}\n` : `\n${line}` }];
}

function callTypes(style: Style, t: string): string {
  return `${style.typesNs}.ServerReadableStream<${t}, unknown> | ${style.typesNs}.ServerDuplexStream<${t}, unknown>`;
}

function helperText(name: string, style: Style): string {
  const u = style.unit;
  const q = style.quote;
  const ts = style.isTs;
  const statusT = ts ? `: Partial<${style.typesNs}.StatusObject>` : '';
  const lines: string[] = [];
  if (name === TS_HELPERS.untilCancelled) {
    lines.push(
      '/**',
      ' * Yields the messages of a call and ends the loop quietly when the call is cancelled (the client',
      ' * cancelled, keepalive found its connection dead, or the deadline passed) instead of throwing.',
      ' * Added by gRPC Stream Debugger.',
      ' */',
      ts
        ? `async function* ${name}<T>(call: AsyncIterable<T> & { cancelled: boolean }): AsyncGenerator<T, void, undefined> {`
        : `async function* ${name}(call) {`,
      `${u}try {`,
      `${u}${u}for await (const message of call) yield message;`,
      `${u}} catch (err) {`,
      `${u}${u}if (call.cancelled) return;`,
      `${u}${u}throw err;`,
      `${u}}`,
      '}',
    );
  } else if (name === TS_HELPERS.receiveWithIdleTimeout) {
    lines.push(
      '/**',
      ' * Yields the messages of a client-streaming or bidi call, waiting on the next message, the end of',
      ' * the call and an idle timer at once. When the client sends nothing for idleMs (it may have',
      ' * vanished without closing its connection), the call ends with DEADLINE_EXCEEDED and the loop',
      ' * ends; so does a cancel. Check call.cancelled after the loop. Added by gRPC Stream Debugger.',
      ' */',
      ts
        ? `async function* ${name}<T>(\n${u}call: ${callTypes(style, 'T')},\n${u}idleMs: number,\n${u}end: (status${statusT}) => void,\n): AsyncGenerator<T, void, undefined> {`
        : `async function* ${name}(call, idleMs, end) {`,
      `${u}const stop = new AbortController();`,
      ts
        ? `${u}const stopped = new Promise<${q}stopped${q}>((resolve) => stop.signal.addEventListener(${q}abort${q}, () => resolve(${q}stopped${q}), { once: true }));`
        : `${u}const stopped = new Promise((resolve) => stop.signal.addEventListener(${q}abort${q}, () => resolve(${q}stopped${q}), { once: true }));`,
      ts ? `${u}const onCancelled = (): void => stop.abort();` : `${u}const onCancelled = () => stop.abort();`,
      `${u}call.once(${q}cancelled${q}, onCancelled);`,
      ts ? `${u}const messages = (call as AsyncIterable<T>)[Symbol.asyncIterator]();` : `${u}const messages = call[Symbol.asyncIterator]();`,
      ts ? `${u}let idle: ReturnType<typeof setTimeout> | undefined;` : `${u}let idle;`,
      `${u}try {`,
      `${u}${u}for (;;) {`,
      `${u}${u}${u}clearTimeout(idle);`,
      `${u}${u}${u}// grpc-js emits 'cancelled' once the status is sent, which ends the loop.`,
      `${u}${u}${u}idle = setTimeout(() => end({ code: 4, details: \`no message from the client for \${idleMs} ms\` }), idleMs); // 4 = DEADLINE_EXCEEDED`,
      ts
        ? `${u}${u}${u}const next = await Promise.race([messages.next(), stopped]).catch(() => ${q}stopped${q} as const);`
        : `${u}${u}${u}const next = await Promise.race([messages.next(), stopped]).catch(() => ${q}stopped${q});`,
      `${u}${u}${u}if (next === ${q}stopped${q} || next.done) return;`,
      `${u}${u}${u}yield next.value;`,
      `${u}${u}}`,
      `${u}} finally {`,
      `${u}${u}clearTimeout(idle);`,
      `${u}${u}call.removeListener(${q}cancelled${q}, onCancelled);`,
      `${u}}`,
      '}',
    );
  } else {
    lines.push(
      '/**',
      ' * Ends a call with DEADLINE_EXCEEDED when its client sends nothing for idleMs while the connection',
      ' * still looks alive, which keepalive cannot catch. The timer restarts on every message and stops',
      ' * when the client finishes sending or the call ends. Added by gRPC Stream Debugger.',
      ' */',
      ts
        ? `function ${name}(call: ${callTypes(style, 'unknown')}, idleMs: number, end: (status${statusT}) => void): void {`
        : `function ${name}(call, idleMs, end) {`,
      `${u}let timer = setTimeout(expire, idleMs);`,
      ts ? `${u}function expire(): void {` : `${u}function expire() {`,
      `${u}${u}stop();`,
      `${u}${u}end({ code: 4, details: \`no message from the client for \${idleMs} ms\` }); // 4 = DEADLINE_EXCEEDED`,
      `${u}}`,
      ts ? `${u}function restart(): void {` : `${u}function restart() {`,
      `${u}${u}clearTimeout(timer);`,
      `${u}${u}timer = setTimeout(expire, idleMs);`,
      `${u}}`,
      ts ? `${u}function stop(): void {` : `${u}function stop() {`,
      `${u}${u}clearTimeout(timer);`,
      `${u}${u}call.removeListener(${q}data${q}, restart);`,
      `${u}}`,
      `${u}call.on(${q}data${q}, restart);`,
      `${u}call.once(${q}end${q}, stop);`,
      `${u}call.once(${q}cancelled${q}, stop);`,
      '}',
    );
  }
  return lines.join('\n');
}

function helperEdits(sf: ts.SourceFile, name: string, style: Style): TextEdit[] {
  if (declaresFunction(sf, name)) return [];
  const end = sf.text.length;
  const sep = sf.text.endsWith('\n') ? '\n' : '\n\n';
  return [{ start: end, end, newText: `${sep}${helperText(name, style)}\n` }];
}

function endExpression(site: TsHandlerSite): string {
  return site.callbackName ? `(status) => ${site.callbackName}(status)` : `(status) => ${site.callName}.emit('error', status)`;
}

/** Inserts statements at the top of the handler's body, indented like its first statement. */
function atBodyTop(sf: ts.SourceFile, site: TsHandlerSite, style: Style, lines: string[]): TextEdit {
  const body = site.fn.body;
  if (!body || !ts.isBlock(body)) throw new AnalysisError('the handler has no block body');
  const first = body.statements[0];
  const indent = first ? lineIndent(sf.text, first.getStart(sf)) : lineIndent(sf.text, body.getStart(sf)) + style.unit;
  const at = body.getStart(sf) + 1;
  return { start: at, end: at, newText: '\n' + lines.map((l) => (l ? indent + l : l)).join('\n') };
}

/** After a `for await` loop that sits directly in the handler: stop if the call ended early. */
function afterLoop(sf: ts.SourceFile, site: TsHandlerSite, loop: ts.ForOfStatement): TextEdit[] {
  const body = site.fn.body;
  if (!body || !ts.isBlock(body) || !body.statements.includes(loop)) return [];
  const indent = lineIndent(sf.text, loop.getStart(sf));
  const ret = 'return;';
  return [{ start: loop.end, end: loop.end, newText: `\n${indent}if (${site.callName}.cancelled) ${ret} // ended early: client gone, cancelled, idle or past its deadline` }];
}

function handlerEdits(sf: ts.SourceFile, site: TsHandlerSite, kind: FixKind, style: Style, options: FixOptions): TextEdit[] {
  const q = style.quote;
  if (site.read.type === 'for-await') {
    const loop = site.read.node;
    const expr = loop.expression;
    const helper = kind === 'context-aware' ? TS_HELPERS.untilCancelled : TS_HELPERS.receiveWithIdleTimeout;
    const call = kind === 'context-aware' ? `${helper}(${site.callName})` : `${helper}(${site.callName}, ${options.idleTimeoutMs}, ${endExpression(site).replace(/'/g, q)})`;
    return [
      { start: expr.getStart(sf), end: expr.end, newText: call },
      ...afterLoop(sf, site, loop),
      ...helperEdits(sf, helper, style),
      ...(kind === 'async-receive' ? typeImportEdit(sf, style) : []),
    ];
  }
  if (kind === 'context-aware') {
    return [
      atBodyTop(sf, site, style, [
        `// grpc-js emits ${q}cancelled${q} when the client cancels, keepalive finds its connection dead,`,
        '// or the deadline passes: stop handling messages and release what this call holds.',
        `${site.callName}.on(${q}cancelled${q}, () => {`,
        `${style.unit}${site.callName}.removeAllListeners(${q}data${q});`,
        '});',
      ]),
    ];
  }
  return [
    atBodyTop(sf, site, style, [`${TS_HELPERS.endWhenIdle}(${site.callName}, ${options.idleTimeoutMs}, ${endExpression(site).replace(/'/g, q)});`]),
    ...helperEdits(sf, TS_HELPERS.endWhenIdle, style),
    ...typeImportEdit(sf, style),
  ];
}

function keepaliveEdits(sf: ts.SourceFile, site: TsServerSite, style: Style, options: FixOptions): TextEdit[] {
  const q = style.quote;
  const props = [`${q}grpc.keepalive_time_ms${q}: ${options.keepaliveTimeMs}`, `${q}grpc.keepalive_timeout_ms${q}: ${options.keepaliveTimeoutMs}`];
  const o = site.options;
  if (!o) {
    const n = site.node;
    const literal = `{ ${props.join(', ')} }`;
    if (!n.arguments) return [{ start: n.end, end: n.end, newText: `(${literal})` }];
    const open = sf.text.indexOf('(', n.expression.end);
    return [{ start: open + 1, end: open + 1, newText: literal }];
  }
  if (o.properties.length === 0) return [{ start: o.getStart(sf), end: o.end, newText: `{ ${props.join(', ')} }` }];
  const first = o.properties[0];
  const multiline = sf.getLineAndCharacterOfPosition(first.getStart(sf)).line > sf.getLineAndCharacterOfPosition(o.getStart(sf)).line;
  if (multiline) {
    const indent = lineIndent(sf.text, first.getStart(sf));
    return [{ start: first.getStart(sf), end: first.getStart(sf), newText: props.map((p) => `${p},\n${indent}`).join('') }];
  }
  return [{ start: first.getStart(sf), end: first.getStart(sf), newText: `${props.join(', ')}, ` }];
}

/** A name not yet used in the handler: base, base2, base3… */
function freshName(sf: ts.SourceFile, fn: ts.Node, base: string): string {
  const used = new Set(sf.text.slice(fn.pos, fn.end).match(/[A-Za-z_$][\w$]*/g) ?? []);
  let name = base;
  for (let i = 2; used.has(name); i++) name = `${base}${i}`;
  return name;
}

/**
 * Keeps the interval's timer (or names the listener) and stops it when the call ends: on
 * 'cancelled' (the client cancelled or went away, the deadline passed) and on 'close' (the stream
 * finished or was destroyed). Nothing else of the handler changes.
 */
function cleanupEdits(sf: ts.SourceFile, site: TsSubscriptionSite, style: Style): TextEdit[] {
  const q = style.quote;
  const indent = lineIndent(sf.text, site.statement.getStart(sf));
  const edits: TextEdit[] = [];
  let stopBody: string;
  let stopName: string;
  if (site.what === 'interval') {
    const timer = site.timerName ?? freshName(sf, site.fn, 'timer');
    if (!site.timerName) edits.push({ start: site.node.getStart(sf), end: site.node.getStart(sf), newText: `const ${timer} = ` });
    stopName = freshName(sf, site.fn, `stop${timer[0].toUpperCase()}${timer.slice(1)}`);
    stopBody = `clearInterval(${timer});`;
  } else {
    const listener = site.node.arguments[1];
    const event = (site.event ?? 'event').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''));
    const onName = freshName(sf, site.fn, `on${event[0]?.toUpperCase() ?? 'E'}${event.slice(1)}`);
    edits.push({ start: site.statement.getStart(sf), end: site.statement.getStart(sf), newText: `const ${onName} = ${sf.text.slice(listener.getStart(sf), listener.end)};\n${indent}` });
    edits.push({ start: listener.getStart(sf), end: listener.end, newText: onName });
    stopName = freshName(sf, site.fn, `remove${onName[0].toUpperCase()}${onName.slice(1)}`);
    stopBody = `${site.emitter}.removeListener(${q}${site.event}${q}, ${onName});`;
  }
  const lines = [
    `// Stop it when the call ends: cancelled (the client went or the deadline passed) or closed.`,
    `const ${stopName} = () => {`,
    `${style.unit}${stopBody}`,
    '};',
    `${site.callName}.on(${q}cancelled${q}, ${stopName});`,
    `${site.callName}.on(${q}close${q}, ${stopName});`,
  ];
  edits.push({ start: site.statement.end, end: site.statement.end, newText: lines.map((l) => `\n${indent}${l}`).join('') });
  return edits;
}

export function tsFixEdits(sf: ts.SourceFile, finding: TsFinding, kind: FixKind, options: FixOptions): TextEdit[] {
  if (!finding.fixes.includes(kind)) throw new AnalysisError(`the ${kind} fix does not apply to ${finding.rule}`);
  const style = detectStyle(sf, finding.language === 'typescript');
  if (finding.site.kind === 'subscription') return cleanupEdits(sf, finding.site, style);
  return finding.site.kind === 'handler' ? handlerEdits(sf, finding.site, kind, style, options) : keepaliveEdits(sf, finding.site, style, options);
}
