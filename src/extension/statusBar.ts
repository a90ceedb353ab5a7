// `gRPC 12 streams · 2 suspect` in the status bar (and a note when a process's data is stale);
// a click focuses the Streams view.
import * as vscode from 'vscode';
import { countSuspects, healthNote, staleSummary, statusBarText, type Counts } from '../model/treeModel';
import { processName, type AttachmentManager } from './attachments';
import { CommandIds } from './ids';
import type { Log } from './log';
import type { SettingsWatcher } from './settings';

export class StreamStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('grpcStreams.status', vscode.StatusBarAlignment.Left, 50);
  private readonly disposables: vscode.Disposable[] = [];
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(private readonly attachments: AttachmentManager, private readonly settings: SettingsWatcher, private readonly log: Log) {
    this.item.name = 'gRPC Streams';
    this.item.command = CommandIds.focusView;
    this.disposables.push(
      attachments.onDidChangeAttachments(() => this.update()),
      attachments.onDidChangeData(() => this.update()),
      attachments.onDidChangeHealth(() => this.update()),
      settings.onDidChange(() => this.update()),
    );
    // Suspects appear by time passing, not only by events; the count is cheap to recompute.
    this.timer = setInterval(() => this.update(), 2000);
    this.update();
  }

  private update(): void {
    const all = this.attachments.all;
    if (all.length === 0) {
      this.item.hide();
      return;
    }
    const started = performance.now();
    // Each process is judged at its own clock: a stale one's is held where it last answered.
    const counts: Counts = { streams: 0, suspect: 0 };
    for (const a of all) {
      const c = countSuspects([a.store], this.settings.config, a.localNow());
      counts.streams += c.streams;
      counts.suspect += c.suspect;
      if (c.connections !== undefined) {
        counts.connections = (counts.connections ?? 0) + c.connections;
        counts.suspectConnections = (counts.suspectConnections ?? 0) + (c.suspectConnections ?? 0);
      }
    }
    this.log.trace(`status bar: ${counts.streams} streams judged in ${(performance.now() - started).toFixed(2)} ms`);
    const stale = staleSummary(all.map((a) => a.health.state));
    this.item.text = `${stale ? '$(warning)' : '$(pulse)'} ${statusBarText(counts)}${stale ? ` · ${stale}` : ''}`;
    const lines = all.map((a) => {
      const note = healthNote(a.health.state);
      return `${processName(a)}${note ? `: ${note}` : ''}`;
    });
    this.item.tooltip = `gRPC Stream Debugger: ${all.length} process${all.length === 1 ? '' : 'es'} attached. Click to show them.\n${lines.join('\n')}`;
    this.item.backgroundColor = counts.suspect > 0 || (counts.suspectConnections ?? 0) > 0 || stale ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
  }

  dispose(): void {
    clearInterval(this.timer);
    for (const d of this.disposables) d.dispose();
    this.item.dispose();
  }
}
