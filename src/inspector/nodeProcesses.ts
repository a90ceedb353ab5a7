// Local Node processes and their inspectors, read from /proc (Linux). A process is Node when its
// executable is (argv and process.title can say anything). Opening an inspector uses SIGUSR1, as
// `node inspect -p PID` does; the port is found by asking the process's own sockets.
import { closeSync, openSync, readFileSync, readSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { AttachError } from './errors';
import { isInspectorPort } from './targetDiscovery';

export interface NodeProcessInfo {
  pid: number;
  command: string;
  /** Parent process id, and whether the parent is a Node process too (a cluster primary, a wrapper). */
  parentPid: number;
  parentIsNode: boolean;
  /** Loopback ports where this process's inspector answers, if it is open. */
  inspectorPorts: number[];
  /** False when --disable-sigusr1 is set or the platform has no SIGUSR1. */
  canOpenInspector: boolean;
}

/** Where an inspector was found, and whether this tool opened it (then it closes it again). */
export interface OpenedInspector {
  port: number;
  opened: boolean;
}

export function readCmdline(pid: number): string[] | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return null;
  }
}

/** The parent pid, from /proc/PID/stat (the command name in parentheses may hold anything). */
function parentOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) || 0;
  } catch {
    return 0;
  }
}

// Every Node binary exports N-API for native addons; argv and process.title can say anything.
const NODE_MARKER = Buffer.from('napi_module_register');
// Node's dynamic string table, where the marker is, comes early (2–4 MB into Node 20 and 24):
// reading further would only make every non-Node binary slower to rule out.
const SCAN_LIMIT = 16 * 1024 * 1024;
const binaryVerdicts = new Map<string, boolean>();

/**
 * What `judge` says of a file, remembered by path, size and modification time: an executable is
 * judged once, not at every scan of the process list. False when the file cannot be read.
 */
export function fileVerdict(path: string, verdicts: Map<string, boolean>, judge: (path: string) => boolean): boolean {
  let key: string;
  try {
    const st = statSync(path);
    key = `${path}:${st.size}:${st.mtimeMs}`;
  } catch {
    return false;
  }
  let verdict = verdicts.get(key);
  if (verdict === undefined) verdicts.set(key, (verdict = judge(path)));
  return verdict;
}

/** True when the file is an ELF executable that carries Node's N-API (node, nodejs, electron). */
export function isNodeBinary(path: string): boolean {
  return fileVerdict(path, binaryVerdicts, carriesNodeMarker);
}

function carriesNodeMarker(path: string): boolean {
  let verdict = false;
  let fd: number | null = null;
  try {
    fd = openSync(path, 'r');
    const buf = Buffer.alloc(1 << 20);
    let pos = 0;
    let n = readSync(fd, buf, 0, buf.length, 0);
    if (n >= 4 && buf.readUInt32BE(0) === 0x7f454c46) {
      while (pos < SCAN_LIMIT) {
        if (buf.subarray(0, n).includes(NODE_MARKER)) {
          verdict = true;
          break;
        }
        if (n < buf.length) break; // the end of the file
        // Overlap the next block by the marker's length, so a marker across the boundary is seen.
        pos += n - NODE_MARKER.length;
        n = readSync(fd, buf, 0, buf.length, pos);
      }
    }
  } catch {
    verdict = false;
  } finally {
    if (fd !== null) closeSync(fd);
  }
  return verdict;
}

/** What /proc/PID/exe says of a process: a Node binary, something else, or not readable. */
export function executableOf(pid: number): { path: string; node: boolean } | { unreadable: string } {
  let path: string;
  try {
    path = readlinkSync(`/proc/${pid}/exe`);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { unreadable: code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOENT' ? 'it has exited' : String(code) };
  }
  return { path, node: isNodeBinary(`/proc/${pid}/exe`) };
}

/** Every process id in /proc (none where /proc cannot be read). */
export function allPids(): number[] {
  try {
    return readdirSync('/proc').map(Number).filter((n) => Number.isInteger(n) && n > 0);
  } catch {
    return [];
  }
}

/** Node processes whose parent is pid: cluster workers, or the program a wrapper (npx, tsx) started. */
export function childNodeProcesses(pid: number): number[] {
  const out: number[] = [];
  for (const child of allPids()) {
    if (parentOf(child) !== pid) continue;
    const exe = executableOf(child);
    if ('node' in exe && exe.node) out.push(child);
  }
  return out.sort((a, b) => a - b);
}

/** A sentence naming the Node children of a process with no gRPC server of its own, or ''. */
export function childProcessHint(pid: number): string {
  const kids = childNodeProcesses(pid);
  if (kids.length === 0) return '';
  return ` Process ${pid} started the Node process${kids.length > 1 ? 'es' : ''} ${kids.join(', ')} (cluster workers, or the program a wrapper such as npx or tsx runs): attach to ${kids.length > 1 ? 'one of those' : 'that one'} with --pid ${kids[0]}.`;
}

/** One row of /proc/net/tcp{,6}: its state (0A listen, 01 established), addresses and socket inode. */
export interface TcpRow {
  state: string;
  v6: boolean;
  localHex: string;
  localPort: number;
  remotePort: number;
  inode: string;
}

/** Every TCP socket of the machine's network namespace (Linux; none where /proc cannot be read). */
export function tcpRows(): TcpRow[] {
  const out: TcpRow[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      const [localHex, localPort] = cols[1].split(':');
      out.push({ state: cols[3], v6: file.endsWith('6'), localHex, localPort: parseInt(localPort, 16), remotePort: parseInt(cols[2].split(':')[1], 16), inode: cols[9] });
    }
  }
  return out;
}

/** The socket inodes a process holds open (`self` for this one). */
export function socketInodesOf(pid: number | 'self'): Set<string> {
  const inodes = new Set<string>();
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch { /* fd closed meanwhile */ }
  }
  return inodes;
}

/** Inode → "LISTEN" sockets of /proc/net/tcp{,6} on loopback or any address. */
function listeningSockets(): Map<string, { port: number; host: string }> {
  const out = new Map<string, { port: number; host: string }>();
  for (const r of tcpRows()) {
    if (r.state !== '0A') continue; // 0A = LISTEN
    const host = r.v6 ? (r.localHex === '00000000000000000000000001000000' ? '::1' : r.localHex === '0'.repeat(32) ? '::' : 'v6') : decodeV4(r.localHex);
    out.set(r.inode, { port: r.localPort, host });
  }
  return out;
}

function decodeV4(hex: string): string {
  const n = parseInt(hex, 16);
  return [n & 255, (n >> 8) & 255, (n >> 16) & 255, (n >>> 24) & 255].join('.');
}

/** TCP ports this process listens on (Linux). */
export function listeningPortsOf(pid: number, sockets = listeningSockets()): Array<{ port: number; host: string }> {
  const ports: Array<{ port: number; host: string }> = [];
  for (const inode of socketInodesOf(pid)) {
    const s = sockets.get(inode);
    if (s) ports.push(s);
  }
  return ports;
}

export async function findInspectorPorts(pid: number, sockets = listeningSockets()): Promise<number[]> {
  const found: number[] = [];
  for (const { port, host } of listeningPortsOf(pid, sockets)) {
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
  const nodePids = new Set<number>();
  for (const pid of allPids()) {
    if (pid === process.pid) continue;
    const exe = executableOf(pid);
    if ('node' in exe && exe.node) nodePids.add(pid);
  }
  // One read of the socket tables for all of them.
  const sockets = listeningSockets();
  for (const pid of nodePids) {
    const argv = readCmdline(pid) ?? [];
    const parentPid = parentOf(pid);
    out.push({
      pid,
      command: argv.join(' '),
      parentPid,
      parentIsNode: nodePids.has(parentPid),
      inspectorPorts: await findInspectorPorts(pid, sockets),
      canOpenInspector: process.platform !== 'win32' && !argv.includes('--disable-sigusr1'),
    });
  }
  return out;
}

/** The port SIGUSR1 opens the inspector on: --inspect-port (argv or NODE_OPTIONS), else 9229. */
export function inspectPortFor(argv: string[], nodeOptions = ''): number {
  const words = [...argv, ...nodeOptions.split(/\s+/)];
  for (let i = 0; i < words.length; i++) {
    const m = /^--(?:inspect-port|debug-port)(?:=(.*))?$/.exec(words[i]);
    if (!m) continue;
    const v = (m[1] ?? words[i + 1] ?? '').split(':').pop() ?? '';
    if (/^\d+$/.test(v)) return Number(v);
  }
  return 9229;
}

function readNodeOptions(pid: number): string {
  try {
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    return env.find((v) => v.startsWith('NODE_OPTIONS='))?.slice('NODE_OPTIONS='.length) ?? '';
  } catch {
    return '';
  }
}

/** Which process listens on a loopback or wildcard TCP port, if any can be seen. */
function portOwner(port: number): number | null {
  const sockets = listeningSockets();
  for (const pid of allPids()) {
    if (listeningPortsOf(pid, sockets).some((p) => p.port === port)) return pid;
  }
  return null;
}

/** What the process itself printed about its inspector, when its stderr is a file we can read. */
function inspectorComplaint(pid: number): string | null {
  try {
    const path = readlinkSync(`/proc/${pid}/fd/2`);
    if (!path.startsWith('/') || !statSync(path).isFile()) return null;
    const text = readFileSync(path, 'utf8').slice(-4096);
    const lines = text.split('\n').filter((l) => /Starting inspector on .* failed/.test(l));
    return lines.length > 0 ? lines[lines.length - 1].trim() : null;
  } catch {
    return null;
  }
}

/**
 * Returns the inspector port of a process, opening the inspector with SIGUSR1 when it is closed.
 * Nothing is probed or signalled before the process is known to be Node by its executable.
 */
export async function openInspectorOf(pid: number, options: { timeoutMs?: number } = {}): Promise<OpenedInspector> {
  if (!Number.isInteger(pid) || pid <= 0) throw new AttachError('bad-input', `"${pid}" is not a process id.`);
  if (!processExists(pid)) throw new AttachError('no-process', `There is no process with id ${pid}.`);
  const exe = executableOf(pid);
  if ('unreadable' in exe) {
    throw new AttachError('no-inspector', `Cannot tell whether process ${pid} is a Node process: its executable cannot be read (${exe.unreadable}); run as its user, or start it with --inspect and use --inspect HOST:PORT.`);
  }
  if (!exe.node) throw new AttachError('no-inspector', `Process ${pid} (${exe.path}) is not a Node process, so it was not signalled.`);
  const open = await findInspectorPorts(pid);
  if (open.length > 0) return { port: open[0], opened: false };
  const argv = readCmdline(pid) ?? [];
  if (process.platform === 'win32') {
    throw new AttachError('no-inspector', `Process ${pid} has no inspector open; start it with --inspect (SIGUSR1 does not exist on Windows).`);
  }
  if (argv.includes('--disable-sigusr1')) {
    throw new AttachError('no-inspector', `Process ${pid} was started with --disable-sigusr1, so its inspector cannot be opened; start it with --inspect.`);
  }
  const port = inspectPortFor(argv, readNodeOptions(pid));
  const owner = portOwner(port);
  if (owner !== null && owner !== pid) {
    throw new AttachError('no-inspector', `Process ${pid} cannot open its inspector: port ${port} is already in use by process ${owner}. Free the port, or start the server with --inspect-port=0.`);
  }
  try {
    process.kill(pid, 'SIGUSR1');
  } catch (e) {
    throw new AttachError('no-inspector', `Could not signal process ${pid} to open its inspector: ${(e as Error).message}`);
  }
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    const ports = await findInspectorPorts(pid);
    if (ports.length > 0) return { port: ports[0], opened: true };
    if (!processExists(pid)) throw new AttachError('no-process', `Process ${pid} exited.`);
    const complaint = inspectorComplaint(pid);
    if (complaint) throw new AttachError('no-inspector', `Process ${pid} could not open its inspector: "${complaint}".`);
    const taken = portOwner(port);
    if (taken !== null && taken !== pid) throw new AttachError('no-inspector', `Process ${pid} cannot open its inspector: port ${port} is already in use by process ${taken}.`);
  }
  throw new AttachError('no-inspector', `Process ${pid} did not open an inspector on port ${port} within ${Math.round((options.timeoutMs ?? 5000) / 1000)} s after SIGUSR1 (it may be blocked in a long task, or it handles SIGUSR1 itself).`);
}
