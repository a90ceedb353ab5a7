// The extension's settings, read once and re-read (with an event) whenever the user changes them.
import * as vscode from 'vscode';
import type { TreeSettings } from '../model/treeModel';
import { ConfigSection, Settings } from './ids';

export type AutoAttach = 'ask' | 'always' | 'never';

export interface ExtensionConfig extends TreeSettings {
  refreshIntervalMs: number;
  allowRemoteInspector: boolean;
  autoAttach: AutoAttach;
  diagnosticsEnabled: boolean;
  diagnosticsSeverity: 'error' | 'warning' | 'information' | 'hint';
  diagnosticsRules: Record<string, boolean>;
  fixIdleTimeoutMs: number;
  fixKeepaliveTimeMs: number;
  fixKeepaliveTimeoutMs: number;
}

export function readConfig(): ExtensionConfig {
  const c = vscode.workspace.getConfiguration(ConfigSection);
  const num = (key: string, dflt: number, min: number): number => {
    const v = c.get<number>(key, dflt);
    return typeof v === 'number' && Number.isFinite(v) && v >= min ? v : dflt;
  };
  const auto = c.get<string>(Settings.autoAttach, 'ask');
  return {
    idleWarningMs: num(Settings.idleWarningSeconds, 30, 1) * 1000,
    suspectAfterMs: num(Settings.suspectAfterSeconds, 60, 1) * 1000,
    maxStreamsPerMethod: Math.floor(num(Settings.maxStreamsPerMethod, 200, 1)),
    refreshIntervalMs: num(Settings.refreshIntervalMs, 1000, 200),
    allowRemoteInspector: c.get<boolean>(Settings.allowRemoteInspector, false) === true,
    autoAttach: auto === 'always' || auto === 'never' ? auto : 'ask',
    diagnosticsEnabled: c.get<boolean>(Settings.diagnosticsEnabled, true) !== false,
    diagnosticsSeverity: (['error', 'warning', 'information', 'hint'] as const).find((s) => s === c.get<string>(Settings.diagnosticsSeverity)) ?? 'warning',
    diagnosticsRules: c.get<Record<string, boolean>>(Settings.diagnosticsRules, {}) ?? {},
    fixIdleTimeoutMs: num(Settings.fixIdleTimeoutMs, 30000, 1),
    fixKeepaliveTimeMs: num(Settings.fixKeepaliveTimeMs, 30000, 1),
    fixKeepaliveTimeoutMs: num(Settings.fixKeepaliveTimeoutMs, 10000, 1),
  };
}

export class SettingsWatcher implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<ExtensionConfig>();
  readonly onDidChange = this.emitter.event;
  private current = readConfig();
  private readonly sub: vscode.Disposable;

  constructor() {
    this.sub = vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(ConfigSection)) return;
      this.current = readConfig();
      this.emitter.fire(this.current);
    });
  }

  get config(): ExtensionConfig {
    return this.current;
  }

  dispose(): void {
    this.sub.dispose();
    this.emitter.dispose();
  }
}
