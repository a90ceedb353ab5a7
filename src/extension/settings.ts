// The extension's settings, read once and re-read (with an event) whenever the user changes them.
import * as vscode from 'vscode';
import { RENAMED_RULES } from '../analysis/types';
import type { TreeSettings } from '../model/treeModel';
import { ConfigSection, Settings } from './ids';

export type AutoAttach = 'ask' | 'always' | 'never';

export interface ExtensionConfig extends TreeSettings {
  refreshIntervalMs: number;
  pollIntervalMs: number;
  allowRemoteInspector: boolean;
  autoAttach: AutoAttach;
  diagnosticsEnabled: boolean;
  diagnosticsSeverity: 'error' | 'warning' | 'information' | 'hint';
  diagnosticsRules: Record<string, boolean>;
  fixIdleTimeoutMs: number;
  fixKeepaliveTimeMs: number;
  fixKeepaliveTimeoutMs: number;
  probeEnabled: boolean;
  probeTimeoutMs: number;
  probeMinIntervalMs: number;
}

/** A rule turned off under an id it had before stays off under its new one. */
function withRenamedRules(rules: Record<string, boolean>): Record<string, boolean> {
  const out = { ...rules };
  for (const [old, renamed] of Object.entries(RENAMED_RULES)) if (rules[old] === false) out[renamed] = false;
  return out;
}

export function readConfig(): ExtensionConfig {
  const c = vscode.workspace.getConfiguration(ConfigSection);
  const num = (key: string, dflt: number, min: number): number => {
    const v = c.get<number>(key, dflt);
    return typeof v === 'number' && Number.isFinite(v) && v >= min ? v : dflt;
  };
  const auto = c.get<string>(Settings.autoAttach, 'ask');
  // Machine-scoped and restricted in untrusted workspaces: only the user's own settings, never a
  // workspace's, may allow an inspector that gives code execution to whoever reaches it.
  const remote = c.inspect<boolean>(Settings.allowRemoteInspector);
  return {
    idleWarningMs: num(Settings.idleWarningSeconds, 30, 1) * 1000,
    suspectAfterMs: num(Settings.suspectAfterSeconds, 60, 1) * 1000,
    maxStreamsPerMethod: Math.floor(num(Settings.maxStreamsPerMethod, 200, 1)),
    refreshIntervalMs: num(Settings.refreshIntervalMs, 1000, 200),
    pollIntervalMs: Math.round(num(Settings.pollIntervalSeconds, 2, 0.5) * 1000),
    allowRemoteInspector: remote?.globalValue === true,
    autoAttach: auto === 'always' || auto === 'never' ? auto : 'ask',
    diagnosticsEnabled: c.get<boolean>(Settings.diagnosticsEnabled, true) !== false,
    diagnosticsSeverity: (['error', 'warning', 'information', 'hint'] as const).find((s) => s === c.get<string>(Settings.diagnosticsSeverity)) ?? 'warning',
    diagnosticsRules: withRenamedRules(c.get<Record<string, boolean>>(Settings.diagnosticsRules, {}) ?? {}),
    fixIdleTimeoutMs: num(Settings.fixIdleTimeoutMs, 30000, 1),
    fixKeepaliveTimeMs: num(Settings.fixKeepaliveTimeMs, 30000, 1),
    fixKeepaliveTimeoutMs: num(Settings.fixKeepaliveTimeoutMs, 10000, 1),
    probeEnabled: c.get<boolean>(Settings.probeEnabled, true) !== false,
    // The agent's own floors: 100 ms for an answer, 1 s between probes of one connection.
    probeTimeoutMs: Math.round(num(Settings.probeTimeoutSeconds, 5, 0.1) * 1000),
    probeMinIntervalMs: Math.round(num(Settings.probeMinIntervalSeconds, 10, 1) * 1000),
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
