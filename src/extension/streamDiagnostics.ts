// Diagnostics for Go, TypeScript and JavaScript files that import gRPC: analysed off the typing
// path (debounced), each open document keeping its syntax tree so that an edit is re-parsed
// incrementally. An analysis that takes long is written to the log.
import * as vscode from 'vscode';
import type { DocumentAnalysis } from '../analysis/documentAnalysis';
import type { HandlerNames } from '../analysis/tsHandlerModules';
import type { Finding, RuleId } from '../analysis/types';
import type { AnalysisLoader } from './analysisLoader';
import type { Log } from './log';
import type { ExtensionConfig, SettingsWatcher } from './settings';

export const DIAGNOSTIC_SOURCE = 'gRPC Streams';
export const LANGUAGES = ['go', 'typescript', 'javascript', 'typescriptreact', 'javascriptreact'];
const DEBOUNCE_MS = 300;

const SEVERITY: Record<ExtensionConfig['diagnosticsSeverity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
  hint: vscode.DiagnosticSeverity.Hint,
};

export function toRange(f: Finding): vscode.Range {
  return new vscode.Range(f.range.start.line, f.range.start.column, f.range.end.line, f.range.end.column);
}

export class StreamDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('grpcStreams');
  /** The findings behind the diagnostics, per document, for the code actions. */
  private readonly findings = new Map<string, Finding[]>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly versions = new Map<string, number>();
  /** Per open document: its previous text and syntax tree, for incremental re-parsing. */
  private readonly documents = new Map<string, DocumentAnalysis>();
  /** Per document: what registers it from beside it; null when nothing does (asked once). */
  private readonly registered = new Map<string, HandlerNames | null>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly loader: AnalysisLoader, private readonly settings: SettingsWatcher, private readonly log: Log) {
    this.disposables.push(
      vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document, DEBOUNCE_MS)),
      vscode.workspace.onDidCloseTextDocument((d) => this.clear(d.uri)),
      settings.onDidChange(() => this.refreshAll()),
    );
    this.refreshAll();
  }

  findingsFor(uri: vscode.Uri): Finding[] {
    return this.findings.get(uri.toString()) ?? [];
  }

  /** What files beside this module pass to addService from it (read once per open document). */
  registeredFor(uri: vscode.Uri): HandlerNames | undefined {
    return this.registered.get(uri.toString()) ?? undefined;
  }

  private refreshAll(): void {
    for (const d of vscode.workspace.textDocuments) this.schedule(d, 0);
  }

  private schedule(doc: vscode.TextDocument, delay: number): void {
    if (!LANGUAGES.includes(doc.languageId) || doc.uri.scheme === 'output') return;
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(key, setTimeout(() => void this.run(doc), delay));
  }

  private async run(doc: vscode.TextDocument): Promise<void> {
    const key = doc.uri.toString();
    this.timers.delete(key);
    if (doc.isClosed) return;
    const config = this.settings.config;
    const text = doc.getText();
    if (!config.diagnosticsEnabled) return this.clear(doc.uri);
    const analysis = this.loader.get();
    // A module that never names grpc is analysed when a file beside it passes it to addService.
    let registered = this.registered.get(key);
    if (registered === undefined && !analysis.mentionsGrpc(doc.fileName, text)) {
      registered = doc.uri.scheme === 'file' ? (analysis.registrationsNear(doc.fileName) ?? null) : null;
      this.registered.set(key, registered);
    }
    if (!analysis.mentionsGrpc(doc.fileName, text) && !registered) return this.clear(doc.uri);
    const version = doc.version;
    this.versions.set(key, version);
    const started = performance.now();
    const cpu = process.cpuUsage();
    let found: Finding[];
    try {
      let document = this.documents.get(key);
      if (!document || document.fileName !== doc.fileName) {
        document?.dispose();
        document = new analysis.DocumentAnalysis(doc.fileName, registered ?? undefined);
        this.documents.set(key, document);
      }
      found = await document.update(text);
    } catch (e) {
      this.log.error(`Analysis of ${doc.fileName} failed`, e);
      return;
    }
    const took = performance.now() - started;
    const used = process.cpuUsage(cpu);
    // Wall time, and the extension host's CPU time over it (other processes compete for the cores).
    const line = `Analysis of ${doc.fileName}: ${doc.lineCount} lines, ${found.length} findings, ${took.toFixed(1)} ms (${((used.user + used.system) / 1000).toFixed(1)} ms CPU)`;
    if (took > 50) this.log.info(line);
    else this.log.trace(line);
    if (doc.isClosed || this.versions.get(key) !== version) return; // a newer run follows
    const enabled = found.filter((f) => config.diagnosticsRules[f.rule as RuleId] !== false);
    this.findings.set(key, enabled);
    this.collection.set(
      doc.uri,
      enabled.map((f) => {
        const d = new vscode.Diagnostic(toRange(f), f.message, SEVERITY[config.diagnosticsSeverity]);
        d.source = DIAGNOSTIC_SOURCE;
        d.code = f.rule;
        return d;
      }),
    );
  }

  private clear(uri: vscode.Uri): void {
    const key = uri.toString();
    this.collection.delete(uri);
    this.findings.delete(key);
    this.documents.get(key)?.dispose();
    this.documents.delete(key);
    this.registered.delete(key);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const d of this.documents.values()) d.dispose();
    this.documents.clear();
    for (const d of this.disposables) d.dispose();
    this.collection.dispose();
  }
}
