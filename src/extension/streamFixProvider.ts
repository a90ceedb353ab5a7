// Quick fixes for the diagnostics: each fix's edits come from the analysis core, computed on the
// document as it is now, with the idle timeout and keepalive values from the settings.
import * as vscode from 'vscode';
import { dirname } from 'node:path';
import { moduleGoVersion } from '../analysis/goModule';
import { FIX_TITLES, type FixKind, type FixOptions } from '../analysis/types';
import { errorMessage } from '../inspector/errors';
import type { AnalysisLoader } from './analysisLoader';
import type { Log } from './log';
import type { SettingsWatcher } from './settings';
import { DIAGNOSTIC_SOURCE, type StreamDiagnostics } from './streamDiagnostics';

export class StreamFixProvider implements vscode.CodeActionProvider {
  static readonly providedCodeActionKinds = [vscode.CodeActionKind.QuickFix];

  constructor(
    private readonly diagnostics: StreamDiagnostics,
    private readonly loader: AnalysisLoader,
    private readonly settings: SettingsWatcher,
    private readonly log: Log,
  ) {}

  async provideCodeActions(doc: vscode.TextDocument, range: vscode.Range | vscode.Selection, context: vscode.CodeActionContext): Promise<vscode.CodeAction[]> {
    const ours = context.diagnostics.filter((d) => d.source === DIAGNOSTIC_SOURCE && d.range.intersection(range));
    if (ours.length === 0) return [];
    const findings = this.diagnostics.findingsFor(doc.uri);
    const options = await this.fixOptions(doc);
    const actions: vscode.CodeAction[] = [];
    for (const diag of ours) {
      const f = findings.find((x) => x.rule === diag.code && x.range.start.line === diag.range.start.line);
      if (!f) continue;
      for (const kind of f.fixes) {
        try {
          const edits = await this.loader.get().fixEdits(doc.fileName, doc.getText(), { line: f.range.start.line, rule: f.rule, registered: this.diagnostics.registeredFor(doc.uri) }, kind as FixKind, options);
          const action = new vscode.CodeAction(FIX_TITLES[kind as FixKind](options), vscode.CodeActionKind.QuickFix);
          action.diagnostics = [diag];
          action.edit = new vscode.WorkspaceEdit();
          for (const e of edits) action.edit.replace(doc.uri, new vscode.Range(doc.positionAt(e.start), doc.positionAt(e.end)), e.newText);
          action.isPreferred = kind === 'async-receive' || kind === 'keepalive';
          actions.push(action);
        } catch (e) {
          // Shown greyed with its reason (the module's Go is too old for the helper, say), not hidden.
          this.log.warn(`No ${kind} fix for ${doc.fileName}:${f.range.start.line + 1}: ${errorMessage(e)}`);
          const action = new vscode.CodeAction(FIX_TITLES[kind as FixKind](options), vscode.CodeActionKind.QuickFix);
          action.diagnostics = [diag];
          action.disabled = { reason: errorMessage(e) };
          actions.push(action);
        }
      }
    }
    return actions;
  }

  private async fixOptions(doc: vscode.TextDocument): Promise<FixOptions> {
    const c = this.settings.config;
    const options: FixOptions = { idleTimeoutMs: c.fixIdleTimeoutMs, keepaliveTimeMs: c.fixKeepaliveTimeMs, keepaliveTimeoutMs: c.fixKeepaliveTimeoutMs };
    if (doc.languageId === 'go' && doc.uri.scheme === 'file') {
      // The helper must be valid Go for the module: the `go` line of the nearest go.mod.
      options.goVersion = moduleGoVersion(dirname(doc.uri.fsPath)) ?? undefined;
      // The Go helper is declared once per package: look in the other files of the directory.
      try {
        const dir = vscode.Uri.file(dirname(doc.uri.fsPath));
        const entries = await vscode.workspace.fs.readDirectory(dir);
        const files = await Promise.all(
          entries
            .filter(([name, type]) => type === vscode.FileType.File && name.endsWith('.go') && vscode.Uri.joinPath(dir, name).fsPath !== doc.uri.fsPath)
            .map(async ([name]) => ({ name, text: Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(dir, name))).toString('utf8') })),
        );
        options.goHelperDeclaredElsewhere = await this.loader.get().goHelperDeclaredIn(files, doc.uri.fsPath);
        options.goUntilDoneDeclaredElsewhere = await this.loader.get().goHelperDeclaredIn(files, doc.uri.fsPath, 'untilDone');
      } catch {
        /* unreadable directory: add the helper here */
      }
    }
    return options;
  }
}
