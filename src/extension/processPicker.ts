// "Attach to Process…": a quick pick of local Node processes, showing which have an inspector open
// and which can have one opened (SIGUSR1).
import * as vscode from 'vscode';
import { listNodeProcesses, openInspectorOf, type NodeProcessInfo } from '../inspector/nodeProcesses';

interface ProcessPick extends vscode.QuickPickItem {
  process: NodeProcessInfo;
}

export function describeProcess(p: NodeProcessInfo): { label: string; description: string; detail: string } {
  const state = p.inspectorPorts.length > 0
    ? `inspector open on 127.0.0.1:${p.inspectorPorts[0]}`
    : p.canOpenInspector
      ? 'inspector closed: will be opened (SIGUSR1)'
      : 'inspector closed and cannot be opened (--disable-sigusr1)';
  const cmd = p.command.length > 140 ? `${p.command.slice(0, 137)}…` : p.command;
  return { label: `$(server-process) ${p.pid}`, description: state, detail: cmd };
}

/** Asks for a process; returns its inspector port (opening the inspector if needed). */
export async function pickProcessInspector(): Promise<{ pid: number; port: number } | undefined> {
  const pick = vscode.window.createQuickPick<ProcessPick>();
  pick.title = 'gRPC Streams: Attach to Process';
  pick.placeholder = 'Pick a Node process running a gRPC server';
  pick.busy = true;
  pick.matchOnDetail = true;
  pick.show();
  const procs = await listNodeProcesses();
  pick.busy = false;
  pick.items = procs
    .filter((p) => p.inspectorPorts.length > 0 || p.canOpenInspector)
    .map((p) => ({ ...describeProcess(p), process: p }));
  if (pick.items.length === 0) pick.placeholder = 'No local Node processes found';
  const chosen = await new Promise<ProcessPick | undefined>((resolve) => {
    pick.onDidAccept(() => resolve(pick.selectedItems[0]));
    pick.onDidHide(() => resolve(undefined));
  });
  pick.dispose();
  if (!chosen) return undefined;
  const port = chosen.process.inspectorPorts[0] ?? (await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Opening the inspector of process ${chosen.process.pid}` },
    () => openInspectorOf(chosen.process.pid),
  ));
  return { pid: chosen.process.pid, port };
}
