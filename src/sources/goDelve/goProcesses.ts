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

interface ElfSection {
  name: string;
  offset: number;
  size: number;
}

/** The names of an ELF file's sections, or null when it is not an ELF file. */
export function elfSectionNames(path: string): string[] | null {
  return elfSections(path)?.map((s) => s.name) ?? null;
}

/** The bytes of one section (at most `limit`), or null when the file has none of that name. */
function elfSectionBytes(path: string, name: string, limit = 1 << 20): Buffer | null {
  const s = elfSections(path)?.find((x) => x.name === name);
  if (!s) return null;
  let fd: number | null = null;
  try {
    fd = openSync(path, 'r');
    return readAt(fd, s.offset, Math.min(s.size, limit));
  } catch {
    return null;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** An ELF file's sections (name, file offset, size), or null when it is not an ELF file. */
function elfSections(path: string): ElfSection[] | null {
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
    const out: ElfSection[] = [];
    for (let i = 0; i < shnum; i++) {
      const s = section(i);
      const end = names.indexOf(0, s.name);
      if (s.name < names.length) out.push({ name: names.toString('latin1', s.name, end < 0 ? names.length : end), offset: s.offset, size: s.size });
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

const grpcVerdicts = new Map<string, boolean>();

/**
 * Whether a Go program links grpc-go: its build info (Go 1.18+ keeps the module list in the
 * `.go.buildinfo` section) names google.golang.org/grpc as a dependency or as the main module.
 * Build info that holds no module list (older Go keeps it elsewhere) counts as linking it: unknown.
 */
export function linksGrpcGo(path: string): boolean {
  return fileVerdict(path, grpcVerdicts, (p) => {
    const info = elfSectionBytes(p, '.go.buildinfo');
    if (!info) return false;
    const text = info.toString('latin1');
    // The module list follows a binary sentinel: `path\t…`, then `mod\t…` and `dep\t…` lines.
    if (!text.includes('path\t')) return true;
    return /(?:dep|mod)\tgoogle\.golang\.org\/grpc\t/.test(text);
  });
}

export interface GoProcessInfo {
  pid: number;
  command: string;
}

/**
 * The local Go processes this user can read that may serve gRPC (they link grpc-go): the Go
 * toolchain, gopls and the rest are left out. None where /proc cannot be read.
 */
export function listGoProcesses(): GoProcessInfo[] {
  const out: GoProcessInfo[] = [];
  for (const pid of allPids()) {
    if (pid === process.pid || !isGoProcess(pid) || !linksGrpcGo(`/proc/${pid}/exe`)) continue;
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
