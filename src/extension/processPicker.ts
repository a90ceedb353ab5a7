// "Attach to Process…": a quick pick of local Node processes, showing which have an inspector open
// and which can have one opened (SIGUSR1), and which are cluster workers or programs another Node
// process started, so that the pid picked is the one that runs the gRPC server.
import * as vscode from 'vscode';
import { listNodeProcesses, openInspectorOf, type NodeProcessInfo } from '../inspector/nodeProcesses';
import { describeProcess, isClusterWorker, relationOf } from './processRelations';

interface ProcessPick extends vscode.QuickPickItem {
  process: NodeProcessInfo;
}

export interface PickedInspector {
  pid: number;
  port: number;
  /** The inspector was opened for this attach (SIGUSR1): it is closed again on Detach. */
  opened: boolean;
}

/** Asks for a process; returns its inspector port (opening the inspector if needed). */
export async function pickProcessInspector(): Promise<PickedInspector | undefined> {
  const pick = vscode.window.createQuickPick<ProcessPick>();
  pick.title = 'gRPC Streams: Attach to Process';
  pick.placeholder = 'Pick a Node process running a gRPC server';
  pick.busy = true;
  pick.matchOnDetail = true;
  pick.show();
  // Let the busy picker reach the window before the scan, part of which is synchronous.
  await new Promise((r) => setTimeout(r, 0));
  const procs = await listNodeProcesses();
  pick.busy = false;
  const workers = new Map<number, boolean>();
  const isWorker = (pid: number): boolean => {
    let worker = workers.get(pid);
    if (worker === undefined) workers.set(pid, (worker = isClusterWorker(pid)));
    return worker;
  };
  pick.items = procs
    .filter((p) => p.inspectorPorts.length > 0 || p.canOpenInspector)
    .map((p) => ({ ...describeProcess(p, relationOf(p, procs, isWorker)), process: p }));
  if (pick.items.length === 0) pick.placeholder = 'No local Node processes found';
  const chosen = await new Promise<ProcessPick | undefined>((resolve) => {
    pick.onDidAccept(() => resolve(pick.selectedItems[0]));
    pick.onDidHide(() => resolve(undefined));
  });
  pick.dispose();
  if (!chosen) return undefined;
  const pid = chosen.process.pid;
  const open = chosen.process.inspectorPorts[0];
  if (open !== undefined) return { pid, port: open, opened: false };
  const inspector = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Opening the inspector of process ${pid}` },
    () => openInspectorOf(pid),
  );
  return { pid, port: inspector.port, opened: inspector.opened };
}
