// Which local processes are Go programs: found by their executable (a Go build writes a
// `.go.buildinfo` ELF section, kept even in stripped binaries), never by name or argv.
import { closeSync, openSync, readSync } from 'node:fs';
import { allPids, fileVerdict, readCmdline } from '../../inspector/nodeProcesses';

const verdicts = new Map<string, boolean>();

function readAt(fd: number, offset: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = readSync(fd, buf, 0, length, offset);
  return buf.subarray(0, n);
}

/** The names of an ELF file's sections, or null when it is not an ELF file. */
export function elfSectionNames(path: string): string[] | null {
  let fd: number | null = null;
  try {
    fd = openSync(path, 'r');
    const h = readAt(fd, 0, 64);
    if (h.length < 52 || h.readUInt32BE(0) !== 0x7f454c46) return null;
    const is64 = h[4] === 2;
    const le = h[5] === 1;
    const u16 = (b: Buffer, o: number): number => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const addr = (b: Buffer, o: number): number => (is64 ? Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)) : u32(b, o));
    const shoff = addr(h, is64 ? 0x28 : 0x20);
    const shentsize = u16(h, is64 ? 0x3a : 0x2e);
    const shnum = u16(h, is64 ? 0x3c : 0x30);
    const shstrndx = u16(h, is64 ? 0x3e : 0x32);
    if (shoff === 0 || shnum === 0 || shnum > 4096 || shstrndx >= shnum) return [];
    const table = readAt(fd, shoff, shentsize * shnum);
    if (table.length < shentsize * shnum) return [];
    const section = (i: number): { name: number; offset: number; size: number } => {
      const o = i * shentsize;
      return { name: u32(table, o), offset: addr(table, o + (is64 ? 0x18 : 0x10)), size: addr(table, o + (is64 ? 0x20 : 0x14)) };
    };
    const strtab = section(shstrndx);
    const names = readAt(fd, strtab.offset, Math.min(strtab.size, 1 << 20));
    const out: string[] = [];
    for (let i = 0; i < shnum; i++) {
      const start = section(i).name;
      const end = names.indexOf(0, start);
      if (start < names.length) out.push(names.toString('latin1', start, end < 0 ? names.length : end));
    }
    return out;
  } catch {
    return null;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** True when the file is a Go program. */
export function isGoBinary(path: string): boolean {
  return fileVerdict(path, verdicts, (p) => (elfSectionNames(p) ?? []).includes('.go.buildinfo'));
}

export function isGoProcess(pid: number): boolean {
  return isGoBinary(`/proc/${pid}/exe`);
}

export interface GoProcessInfo {
  pid: number;
  command: string;
}

/** The local Go processes this user can read (none where /proc cannot be read). */
export function listGoProcesses(): GoProcessInfo[] {
  const out: GoProcessInfo[] = [];
  for (const pid of allPids()) {
    if (pid === process.pid || !isGoProcess(pid)) continue;
    const argv = readCmdline(pid);
    if (argv) out.push({ pid, command: argv.join(' ') });
  }
  return out;
}

/** Whether a Go program carries DWARF debug info (Delve needs it; `-ldflags=-s -w` and strip remove it). */
export function hasDebugInfo(path: string): boolean {
  const names = elfSectionNames(path);
  return names === null || names.some((n) => n === '.debug_info' || n === '.zdebug_info');
}
