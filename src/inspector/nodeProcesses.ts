// Local Node processes and their inspectors, read from /proc (Linux). Opening an inspector uses
// SIGUSR1, as `node inspect -p PID` does; the port is found by asking the process's own sockets.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { AttachError } from './errors';
import { isInspectorPort } from './targetDiscovery';

export interface NodeProcessInfo {
  pid: number;
  command: string;
  /** Loopback ports where this process's inspector answers, if it is open. */
  inspectorPorts: number[];
  /** False when --disable-sigusr1 is set or the platform has no SIGUSR1. */
  canOpenInspector: boolean;
}

function readCmdline(pid: number): string[] | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return null;
  }
}

export function isNodeCommand(argv: string[]): boolean {
  const exe = (argv[0] ?? '').split('/').pop() ?? '';
  return /^(node|nodejs|node\d+)$/.test(exe);
}

/** Inode → "LISTEN" sockets of /proc/net/tcp{,6} on loopback or any address. */
function listeningSockets(): Map<string, { port: number; host: string }> {
  const out = new Map<string, { port: number; host: string }>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== '0A') continue; // 0A = LISTEN
      const [hexAddr, hexPort] = cols[1].split(':');
      const host = file.endsWith('6') ? (hexAddr === '00000000000000000000000001000000' ? '::1' : hexAddr === '0'.repeat(32) ? '::' : 'v6') : decodeV4(hexAddr);
      out.set(cols[9], { port: parseInt(hexPort, 16), host });
    }
  }
  return out;
}

function decodeV4(hex: string): string {
  const n = parseInt(hex, 16);
  return [n & 255, (n >> 8) & 255, (n >> 16) & 255, (n >>> 24) & 255].join('.');
}

/** TCP ports this process listens on (Linux). */
export function listeningPortsOf(pid: number): Array<{ port: number; host: string }> {
  const sockets = listeningSockets();
  const ports: Array<{ port: number; host: string }> = [];
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return ports;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      const s = m && sockets.get(m[1]);
      if (s) ports.push(s);
    } catch { /* fd closed meanwhile */ }
  }
  return ports;
}

export async function findInspectorPorts(pid: number): Promise<number[]> {
  const found: number[] = [];
  for (const { port, host } of listeningPortsOf(pid)) {
    const probe = host === '::1' ? '::1' : '127.0.0.1';
    if ((host.startsWith('127.') || host === '::1' || host === '0.0.0.0' || host === '::') && (await isInspectorPort(probe, port, 800))) found.push(port);
  }
  return [...new Set(found)];
}

export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function listNodeProcesses(): Promise<NodeProcessInfo[]> {
  const out: NodeProcessInfo[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    const pid = Number(e);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const argv = readCmdline(pid);
    if (!argv || !isNodeCommand(argv)) continue;
    out.push({
      pid,
      command: argv.join(' '),
      inspectorPorts: await findInspectorPorts(pid),
      canOpenInspector: process.platform !== 'win32' && !argv.includes('--disable-sigusr1'),
    });
  }
  return out;
}

/**
 * Returns the inspector port of a process, opening the inspector with SIGUSR1 when it is closed.
 */
export async function openInspectorOf(pid: number, options: { timeoutMs?: number } = {}): Promise<number> {
  if (!Number.isInteger(pid) || pid <= 0) throw new AttachError('bad-input', `"${pid}" is not a process id.`);
  if (!processExists(pid)) throw new AttachError('no-process', `There is no process with id ${pid}.`);
  const open = await findInspectorPorts(pid);
  if (open.length > 0) return open[0];
  const argv = readCmdline(pid);
  if (argv && !isNodeCommand(argv)) {
    throw new AttachError('no-inspector', `Process ${pid} (${argv[0]}) is not a Node process.`);
  }
  if (process.platform === 'win32') {
    throw new AttachError('no-inspector', `Process ${pid} has no inspector open; start it with --inspect (SIGUSR1 does not exist on Windows).`);
  }
  if (argv?.includes('--disable-sigusr1')) {
    throw new AttachError('no-inspector', `Process ${pid} was started with --disable-sigusr1, so its inspector cannot be opened; start it with --inspect.`);
  }
  try {
    process.kill(pid, 'SIGUSR1');
  } catch (e) {
    throw new AttachError('no-inspector', `Could not signal process ${pid} to open its inspector: ${(e as Error).message}`);
  }
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 150));
    const ports = await findInspectorPorts(pid);
    if (ports.length > 0) return ports[0];
    if (!processExists(pid)) throw new AttachError('no-process', `Process ${pid} exited.`);
  }
  throw new AttachError('no-inspector', `Process ${pid} did not open an inspector after SIGUSR1 (is it a Node process?).`);
}
