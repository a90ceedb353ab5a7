// Attach to Node debugging sessions: js-debug hands us a CDP proxy into its debuggee, so the user
// never types a port. Detach again when the session ends.
import * as vscode from 'vscode';
import type { AttachmentManager } from './attachments';
import type { Log } from './log';
import { ConfigSection, Settings } from './ids';
import type { SettingsWatcher } from './settings';

const NODE_DEBUG_TYPES = new Set(['node', 'pwa-node', 'node-terminal', 'pwa-extensionHost']);

interface CdpProxyInfo {
  host: string;
  port: number;
  path?: string;
}

export function isNodeDebugSession(session: Pick<vscode.DebugSession, 'type'>): boolean {
  return NODE_DEBUG_TYPES.has(session.type) && session.type !== 'pwa-extensionHost';
}

export class DebugSessionIntegration implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly attachments: AttachmentManager, private readonly settings: SettingsWatcher, private readonly log: Log) {
    this.disposables.push(
      vscode.debug.onDidStartDebugSession((s) => void this.onStart(s)),
      vscode.debug.onDidTerminateDebugSession((s) => {
        const a = attachments.byDebugSession(s.id);
        if (a) void attachments.detach(a, false);
      }),
    );
  }

  private async onStart(session: vscode.DebugSession): Promise<void> {
    if (!isNodeDebugSession(session)) return;
    // js-debug starts a parent session that launches, and a child per process: attach to processes.
    if (session.type === 'pwa-node' && !session.parentSession && session.configuration.request === 'launch') return;
    const mode = this.settings.config.autoAttach;
    if (mode === 'never') return;
    if (mode === 'ask') {
      const answer = await vscode.window.showInformationMessage(
        `Debugging "${session.name}". Watch its gRPC streams?`,
        'Attach',
        'Always',
        'Never',
      );
      if (answer === 'Always' || answer === 'Never') {
        await vscode.workspace.getConfiguration(ConfigSection).update(Settings.autoAttach, answer.toLowerCase(), vscode.ConfigurationTarget.Global);
      }
      if (answer !== 'Attach' && answer !== 'Always') return;
    }
    let proxy: CdpProxyInfo | undefined;
    try {
      proxy = await vscode.commands.executeCommand<CdpProxyInfo>('extension.js-debug.requestCDPProxy', session.id);
    } catch (e) {
      this.log.warn(`Debugging session "${session.name}": the JavaScript debugger gave no CDP proxy (${String(e)}).`);
    }
    if (!proxy) return;
    const host = proxy.host.includes(':') ? `[${proxy.host}]` : proxy.host;
    await this.attachments.attach({
      webSocketUrl: `ws://${host}:${proxy.port}${proxy.path ?? ''}`,
      label: `debug: ${session.name}`,
      debugSessionId: session.id,
      allowRemote: false, // unused for a WebSocket URL: js-debug's proxy listens on this machine
      quiet: mode === 'always',
      waitForGrpc: true,
    });
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
