// "Attach to Process…": a quick pick of local Node and Go processes (each known by its executable), showing which have an inspector open
// and which can have one opened (SIGUSR1), and which are cluster workers or programs another Node
// process started, so that the pid picked is the one that runs the gRPC server.
import * as vscode from 'vscode';
import { listNodeProcesses, openInspectorOf, type NodeProcessInfo } from '../inspector/nodeProcesses';
import { listGoProcesses } from '../sources/goDelve/goProcesses';
import { describeProcess, isClusterWorker, relationOf } from './processRelations';

type ProcessPick = vscode.QuickPickItem & ({ process: NodeProcessInfo; go?: undefined } | { go: number; process?: undefined });

export interface PickedInspector {
  kind: 'node';
  pid: number;
  port: number;
  /** The inspector was opened for this attach (SIGUSR1): it is closed again on Detach. */
  opened: boolean;
}

/** A Go program, read through Delve (the caller asks first: Delve halts it while reading). */
export interface PickedGoProcess {
  kind: 'go';
  pid: number;
}

/** Asks for a process; for a Node one returns its inspector port (opening the inspector if needed). */
export async function pickProcessInspector(): Promise<PickedInspector | PickedGoProcess | undefined> {
  const pick = vscode.window.createQuickPick<ProcessPick>();
  pick.title = 'gRPC Streams: Attach to Process';
  pick.placeholder = 'Pick a Node or Go process running a gRPC server';
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
  const node: ProcessPick[] = procs
    .filter((p) => p.inspectorPorts.length > 0 || p.canOpenInspector)
    .map((p) => ({ ...describeProcess(p, relationOf(p, procs, isWorker)), process: p }));
  const go: ProcessPick[] = listGoProcesses().map((p) => ({
    label: `$(symbol-namespace) ${p.pid}`,
    description: 'Go · read through Delve (pauses it while reading)',
    detail: p.command,
    go: p.pid,
  }));
  pick.items = [...node, ...go];
  if (pick.items.length === 0) pick.placeholder = 'No local Node or Go processes found';
  const chosen = await new Promise<ProcessPick | undefined>((resolve) => {
    pick.onDidAccept(() => resolve(pick.selectedItems[0]));
    pick.onDidHide(() => resolve(undefined));
  });
  pick.dispose();
  if (!chosen) return undefined;
  if (chosen.go !== undefined) return { kind: 'go', pid: chosen.go };
  const pid = chosen.process.pid;
  const open = chosen.process.inspectorPorts[0];
  if (open !== undefined) return { kind: 'node', pid, port: open, opened: false };
  const inspector = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Opening the inspector of process ${pid}` },
    () => openInspectorOf(pid),
  );
  return { kind: 'node', pid, port: inspector.port, opened: inspector.opened };
}
