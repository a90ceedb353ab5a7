// Activation only wires the pieces together; each is a small class that owns its disposables.
import * as vscode from 'vscode';
import { AttachmentManager } from './attachments';
import { StreamCommands } from './commands';
import { DebugSessionIntegration } from './debugIntegration';
import { ViewIds } from './ids';
import { Log } from './log';
import { SettingsWatcher } from './settings';
import { StreamStatusBar } from './statusBar';
import { StreamTreeProvider } from './streamTreeProvider';

export function activate(context: vscode.ExtensionContext): void {
  const log = new Log();
  const settings = new SettingsWatcher();
  const attachments = new AttachmentManager(context.extensionPath, log);
  const tree = new StreamTreeProvider(attachments, settings);
  const view = vscode.window.createTreeView(ViewIds.streams, { treeDataProvider: tree, showCollapseAll: true });
  tree.setVisible(view.visible);
  context.subscriptions.push(
    log,
    settings,
    attachments,
    tree,
    view,
    view.onDidChangeVisibility((e) => tree.setVisible(e.visible)),
    new StreamCommands(attachments, tree, view, settings, log),
    new StreamStatusBar(attachments, settings),
    new DebugSessionIntegration(attachments, settings, log),
  );
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
