// What the process picker says of each Node process (no VS Code here, so tests can call it):
// its inspector, and whether it is a cluster worker or a program another Node process started.
import { readFileSync } from 'node:fs';
import { childNodeProcesses, type NodeProcessInfo } from '../inspector/nodeProcesses';

/** Cluster workers carry NODE_UNIQUE_ID in the environment they were started with. */
export function isClusterWorker(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').some((v) => v.startsWith('NODE_UNIQUE_ID='));
  } catch {
    return false;
  }
}

/** How a process relates to the other Node processes listed: "cluster worker of 1234", "started by Node process 1234". */
export function relationOf(p: NodeProcessInfo, all: NodeProcessInfo[], isWorker: (pid: number) => boolean): string {
  const parts: string[] = [];
  if (p.parentIsNode) parts.push(isWorker(p.pid) ? `cluster worker of ${p.parentPid}` : `started by Node process ${p.parentPid}`);
  const kids = all.filter((c) => c.parentIsNode && c.parentPid === p.pid);
  if (kids.length > 0) {
    const pids = kids.map((c) => c.pid).join(', ');
    parts.push(kids.every((c) => isWorker(c.pid)) ? `cluster primary of ${pids}` : `started Node process${kids.length > 1 ? 'es' : ''} ${pids}`);
  }
  return parts.join(' · ');
}

export function describeProcess(p: NodeProcessInfo, relation = ''): { label: string; description: string; detail: string } {
  const state = p.inspectorPorts.length > 0
    ? `inspector open on 127.0.0.1:${p.inspectorPorts[0]}`
    : p.canOpenInspector
      ? 'inspector closed: will be opened (SIGUSR1)'
      : 'inspector closed and cannot be opened (--disable-sigusr1)';
  const cmd = p.command.length > 140 ? `${p.command.slice(0, 137)}…` : p.command;
  return { label: `$(server-process) ${p.pid}`, description: relation ? `${relation} · ${state}` : state, detail: cmd };
}

/** A sentence naming the Node processes a process started, for when it has no grpc-js itself; '' if none. */
export function childrenHint(pid: number, kids = childNodeProcesses(pid)): string {
  if (kids.length === 0) return '';
  const which = kids.length > 1 ? `the Node processes ${kids.join(', ')}` : `the Node process ${kids[0]}`;
  return ` Process ${pid} started ${which} (cluster workers, or the program a wrapper such as npx or tsx runs): pick ${kids.length > 1 ? 'one of those' : 'that one'} in Attach to Process.`;
}
