// The dashboard of one attached process: a webview panel fed with one coalesced delta a second.
// Every message from the webview is validated before anything acts on it.
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { DeltaAccumulator, parseWebviewMessage, type DashboardInit, type FromWebview, type ServerFixInfo, type ToWebview } from '../dashboard/protocol';
import { samplePoint, SeriesBuffer } from '../dashboard/series';
import { errorMessage } from '../inspector/errors';
import { healthDetail, healthNote } from '../model/treeModel';
import type { AnalysisLoader } from './analysisLoader';
import { processName, type Attachment, AttachmentManager } from './attachments';
import { CommandIds } from './ids';
import { locateKeepaliveFixes } from './keepaliveFixLocator';
import type { Log } from './log';
import type { SettingsWatcher } from './settings';
import { DIAGNOSTIC_SOURCE } from './streamDiagnostics';

const TICK_MS = 1000;

/**
 * Resolves once our diagnostic on that line is there, or after timeoutMs: a document opened just
 * now is analysed a moment later, and the quick fix menu lists only fixes for diagnostics it sees.
 */
function diagnosticOn(uri: vscode.Uri, line: number, timeoutMs: number): Promise<void> {
  const present = (): boolean => vscode.languages.getDiagnostics(uri).some((d) => d.source === DIAGNOSTIC_SOURCE && d.range.start.line <= line && d.range.end.line >= line);
  if (present()) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      sub.dispose();
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    const sub = vscode.languages.onDidChangeDiagnostics((e) => {
      if (e.uris.some((u) => u.toString() === uri.toString()) && present()) done();
    });
  });
}

export class DashboardPanel implements vscode.Disposable {
  static readonly viewType = 'grpcStreams.dashboard';
  private static readonly panels = new Map<string, DashboardPanel>();

  private readonly series = new SeriesBuffer();
  private readonly pending = new DeltaAccumulator();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly timer: ReturnType<typeof setInterval>;
  private ready = false;
  private fixes: ServerFixInfo[] = [];
  private settingsChanged = false;
  private connectionsChanged = false;
  private disposed = false;

  static createOrShow(extensionUri: vscode.Uri, attachment: Attachment, deps: { attachments: AttachmentManager; settings: SettingsWatcher; loader: AnalysisLoader; log: Log }): DashboardPanel {
    const existing = DashboardPanel.panels.get(attachment.id);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(DashboardPanel.viewType, `gRPC Streams: ${processName(attachment)}`, vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
    });
    const p = new DashboardPanel(panel, extensionUri, attachment, deps);
    DashboardPanel.panels.set(attachment.id, p);
    return p;
  }

  static disposeAll(): void {
    for (const p of [...DashboardPanel.panels.values()]) p.dispose();
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    private readonly attachment: Attachment,
    private readonly deps: { attachments: AttachmentManager; settings: SettingsWatcher; loader: AnalysisLoader; log: Log },
  ) {
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'streams.svg');
    panel.webview.html = this.html();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.onDidChangeViewState(() => {
        // A hidden webview drops messages; it sends 'ready' again when shown and gets a fresh init.
        if (!panel.visible) this.ready = false;
      }),
      panel.webview.onDidReceiveMessage((m) => void this.onMessage(m)),
      deps.attachments.onDidChangeData(({ attachment, change }) => {
        if (attachment !== this.attachment) return;
        const store = attachment.store;
        if (change.connections && (change.connections.updated.length > 0 || change.connections.removed.length > 0)) this.connectionsChanged = true;
        this.pending.add(
          change.updated.map((id) => store.streams.get(id)).filter((s): s is NonNullable<typeof s> => !!s),
          change.removed.map((id) => ({ id })),
          change.serversChanged ? [...store.servers.values()] : undefined,
        );
      }),
      deps.attachments.onDidChangeHealth((a) => {
        if (a === this.attachment && this.ready) this.post({ type: 'stale', message: this.staleMessage() });
      }),
      deps.attachments.onDidChangeAttachments(() => {
        if (!deps.attachments.get(this.attachment.id)) {
          this.post({ type: 'detached' });
          this.dispose();
        }
      }),
      deps.settings.onDidChange(() => {
        this.settingsChanged = true;
      }),
    );
    this.series.push(this.sample());
    this.timer = setInterval(() => this.tick(), TICK_MS);
    void locateKeepaliveFixes(attachment, deps.loader)
      .then((fixes) => {
        this.fixes = fixes;
        if (this.ready && fixes.length > 0) this.post({ type: 'delta', now: attachment.now(), upserts: [], removed: [], fixes });
      })
      .catch((e) => deps.log.warn(`Looking for keepalive fix sites failed: ${String(e)}`));
  }

  private sample() {
    const store = this.attachment.store;
    return samplePoint(store.streams.values(), store.servers, this.attachment.now(), this.deps.settings.config.suspectAfterMs);
  }

  /** "Not answering: data is stale. The process does not answer…", or null while live. */
  private staleMessage(): string | null {
    const state = this.attachment.health.state;
    const note = healthNote(state);
    return note && `${note[0].toUpperCase()}${note.slice(1)}. ${healthDetail(state)}`;
  }

  private tick(): void {
    const point = this.sample();
    // A stale process's clock is held: no points until it answers again (nothing is known of that time).
    const live = this.attachment.health.state === 'ok';
    if (live) this.series.push(point);
    if (!this.ready) {
      this.pending.take(point.t); // the next init carries everything
      return;
    }
    const delta = this.pending.take(point.t);
    if (live) delta.point = point;
    if (this.connectionsChanged) {
      delta.connections = [...this.attachment.store.connections.values()];
      this.connectionsChanged = false;
    }
    if (this.settingsChanged) {
      const c = this.deps.settings.config;
      delta.settings = { idleWarningMs: c.idleWarningMs, suspectAfterMs: c.suspectAfterMs };
      this.settingsChanged = false;
    }
    this.post(delta);
  }

  private init(): DashboardInit {
    const store = this.attachment.store;
    const c = this.deps.settings.config;
    return {
      type: 'init',
      title: processName(this.attachment),
      source: this.attachment.source.kind,
      connections: [...store.connections.values()],
      pid: store.pid,
      now: this.attachment.now(),
      settings: { idleWarningMs: c.idleWarningMs, suspectAfterMs: c.suspectAfterMs },
      servers: [...store.servers.values()],
      streams: [...store.streams.values()],
      series: this.series.all(),
      fixes: this.fixes,
      stale: this.staleMessage(),
    };
  }

  private async onMessage(raw: unknown): Promise<void> {
    const parsed = parseWebviewMessage(raw);
    if (!parsed.ok) {
      this.deps.log.warn(parsed.error);
      this.post({ type: 'error', message: parsed.error });
      return;
    }
    const m: FromWebview = parsed.message;
    try {
      if (m.type === 'ready') {
        this.ready = true;
        this.pending.take(0);
        this.post(this.init());
      } else if (m.type === 'cancelStream' || m.type === 'goToHandler') {
        if (!this.attachment.store.streams.has(m.streamId)) {
          this.post({ type: 'error', message: `Stream ${m.streamId} is not open any more.` });
          return;
        }
        const ref = { attachmentId: this.attachment.id, streamId: m.streamId };
        await vscode.commands.executeCommand(m.type === 'cancelStream' ? CommandIds.cancelStream : CommandIds.goToHandler, ref);
      } else if (m.type === 'openKeepaliveFix') {
        await this.openKeepaliveFix(m.serverId);
      } else if (m.type === 'probeConnections' || m.type === 'cancelDeadStreams') {
        // The commands ask, report and fail the way they do from the Streams view.
        await vscode.commands.executeCommand(m.type === 'probeConnections' ? CommandIds.probeConnections : CommandIds.cancelDeadStreams, { attachmentId: this.attachment.id });
      }
    } catch (e) {
      this.deps.log.error('Dashboard action failed', e);
      this.post({ type: 'error', message: errorMessage(e) });
    }
  }

  private async openKeepaliveFix(serverId: string): Promise<void> {
    const fix = this.fixes.find((f) => f.serverId === serverId);
    if (!fix?.file || fix.line === null) {
      this.post({ type: 'info', message: "The file that creates this server is not in the workspace: add 'grpc.keepalive_time_ms' and 'grpc.keepalive_timeout_ms' to its options." });
      return;
    }
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(fix.file));
    const line = doc.lineAt(fix.line);
    const pos = new vscode.Position(fix.line, line.firstNonWhitespaceCharacterIndex);
    await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos), viewColumn: vscode.ViewColumn.Beside });
    const c = this.deps.settings.config;
    if (c.diagnosticsEnabled && c.diagnosticsRules['server-without-keepalive'] !== false) await diagnosticOn(doc.uri, fix.line, 10_000);
    await vscode.commands.executeCommand('editor.action.quickFix');
  }

  private post(message: ToWebview): void {
    if (this.disposed) return;
    void this.panel.webview.postMessage(message);
  }

  private html(): string {
    const webview = this.panel.webview;
    const nonce = randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview', 'dashboard.js'));
    const css = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'dashboard.css'));
    const csp = [`default-src 'none'`, `style-src ${webview.cspSource} 'nonce-${nonce}'`, `script-src 'nonce-${nonce}'`, `font-src ${webview.cspSource}`, `img-src ${webview.cspSource} data:`].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${css}" nonce="${nonce}">
<title>gRPC Streams</title>
</head>
<body>
<main id="app" aria-live="polite"></main>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    clearInterval(this.timer);
    DashboardPanel.panels.delete(this.attachment.id);
    for (const d of this.disposables) d.dispose();
    this.panel.dispose();
  }
}
