// Activation only wires the pieces together; each is a small class that owns its disposables.
import * as vscode from 'vscode';
import { probeSettingsFor } from '../model/treeModel';
import { AnalysisLoader } from './analysisLoader';
import { AttachmentManager } from './attachments';
import { StreamCommands } from './commands';
import { DashboardPanel } from './dashboardPanel';
import { DebugSessionIntegration } from './debugIntegration';
import { TreeGrouping } from './grouping';
import { ViewIds } from './ids';
import { Log } from './log';
import { ProbeSettingsSync } from './probeSettings';
import { SettingsWatcher } from './settings';
import { StreamStatusBar } from './statusBar';
import { LANGUAGES, StreamDiagnostics } from './streamDiagnostics';
import { StreamFixProvider } from './streamFixProvider';
import { StreamTreeProvider } from './streamTreeProvider';

/** Closes every connection (and every inspector this extension opened) when VS Code shuts down. */
let closeAttachments: (() => Promise<void>) | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const started = performance.now();
  const log = new Log();
  const settings = new SettingsWatcher();
  const attachments = new AttachmentManager(context.extensionPath, log, () => probeSettingsFor(settings.config), () => settings.config.pollIntervalMs);
  closeAttachments = () => attachments.closeAll();
  const grouping = new TreeGrouping(context.workspaceState);
  const tree = new StreamTreeProvider(attachments, settings, grouping, log);
  const loader = new AnalysisLoader(context.extensionPath);
  const view = vscode.window.createTreeView(ViewIds.streams, { treeDataProvider: tree, showCollapseAll: true });
  tree.setVisible(view.visible);
  context.subscriptions.push(
    log,
    settings,
    attachments,
    new ProbeSettingsSync(attachments, settings, log),
    settings.onDidChange((c) => attachments.setPollInterval(c.pollIntervalMs)),
    grouping,
    tree,
    view,
    view.onDidChangeVisibility((e) => tree.setVisible(e.visible)),
    new StreamCommands(attachments, tree, view, settings, grouping, log, (a) => DashboardPanel.createOrShow(context.extensionUri, a, { attachments, settings, loader, log })),
    { dispose: () => DashboardPanel.disposeAll() },
    new StreamStatusBar(attachments, settings, log),
    new DebugSessionIntegration(attachments, settings, log),
  );
  const diagnostics = new StreamDiagnostics(loader, settings, log);
  context.subscriptions.push(
    diagnostics,
    vscode.languages.registerCodeActionsProvider(
      LANGUAGES.map((language) => ({ language })),
      new StreamFixProvider(diagnostics, loader, settings, log),
      { providedCodeActionKinds: StreamFixProvider.providedCodeActionKinds },
    ),
  );
  log.info(`Activated in ${(performance.now() - started).toFixed(1)} ms.`);
}

export function deactivate(): Promise<void> | undefined {
  // Everything is disposed through context.subscriptions, which does not wait; VS Code waits
  // (a while) for this, so an inspector opened with SIGUSR1 gets closed before the host exits.
  const closing = closeAttachments?.();
  closeAttachments = undefined;
  return closing;
}
