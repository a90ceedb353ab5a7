// The text of net/http/pprof's /debug/pprof/goroutine?debug=2: every goroutine's header
// (`goroutine 25 [select, 12 minutes]:`) and frames (a function line, then its file:line).
// Pure: parsed from text, so tests feed it dumps taken from real grpc-go servers.

export interface GoFrame {
  /** The function as the runtime prints it: `main.(*server).StreamingInputCall`. */
  func: string;
  file: string;
  line: number;
}

export interface Goroutine {
  /** The goroutine's id; for a group of identical stacks (debug=1), null. */
  id: number | null;
  /** How many goroutines this stands for: 1, or a group's count (debug=1). */
  count: number;
  /** The wait reason or state: `select`, `chan receive`, `IO wait`, `running`. */
  state: string;
  /** Whole minutes blocked, as the runtime prints from 1 minute on (up to about 2 minutes low); null below. */
  waitMinutes: number | null;
  /** Innermost first. */
  frames: GoFrame[];
}

const HEADER = /^goroutine (\d+) (?:gp=\S+ m=\S+ (?:mp=\S+ )?)?\[([^\]]*)\]:$/;
const FRAME_FILE = /^\t(.+):(\d+)(?: \+0x[0-9a-f]+)?$/;

/** The goroutines of a dump; throws when the text is not a goroutine dump at all. */
export function parseGoroutineDump(text: string): Goroutine[] {
  const out: Goroutine[] = [];
  let g: Goroutine | null = null;
  let pendingFunc: string | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const h = HEADER.exec(line);
    if (h) {
      const [state, ...rest] = h[2].split(', ');
      const minutes = rest.map((r) => /^(\d+) minutes?$/.exec(r)).find(Boolean);
      g = { id: Number(h[1]), count: 1, state, waitMinutes: minutes ? Number(minutes[1]) : null, frames: [] };
      out.push(g);
      pendingFunc = null;
      continue;
    }
    if (!g || line === '') continue;
    const f = FRAME_FILE.exec(line);
    if (f && pendingFunc !== null) {
      g.frames.push({ func: pendingFunc, file: f[1], line: Number(f[2]) });
      pendingFunc = null;
    } else if (!line.startsWith('\t')) {
      // `pkg.fn(args...)` or `created by pkg.fn in goroutine 5`: the name without its arguments.
      pendingFunc = line.startsWith('created by ') ? null : line.replace(/\(0x[^)]*\)$|\([^()]*\)$/, '').replace(/\(\.\.\.\)$/, '');
    }
  }
  if (out.length === 0 && text.trim() !== '') throw new Error('not a goroutine dump (no "goroutine N [state]:" line)');
  return out;
}

export interface GoroutineProfile {
  /** Every goroutine of the process. */
  total: number;
  /** One per distinct stack, with how many goroutines share it; no ids, wait reasons or times. */
  groups: Goroutine[];
}

const PROFILE_HEADER = /^goroutine profile: total (\d+)$/;
const GROUP = /^(\d+) @(?: 0x[0-9a-f]+)*$/;
const PROFILE_FRAME = /^#\t0x[0-9a-f]+\t(\S+?)\+0x[0-9a-f]+\t+(.+):(\d+)$/;

/**
 * /debug/pprof/goroutine?debug=1: goroutines grouped by identical stacks. Cheap for the server
 * at any size (10,000 goroutines: 9 kB in under 0.1 s), where debug=2 writes every stack with the
 * world stopped (30 MB, other requests held up to about 250 ms here).
 */
export function parseGoroutineProfile(text: string): GoroutineProfile {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const head = PROFILE_HEADER.exec(lines[0] ?? '');
  if (!head) throw new Error('not a goroutine profile (no "goroutine profile: total N" line)');
  const groups: Goroutine[] = [];
  let g: Goroutine | null = null;
  for (const line of lines.slice(1)) {
    const m = GROUP.exec(line);
    if (m) {
      g = { id: null, count: Number(m[1]), state: '', waitMinutes: null, frames: [] };
      groups.push(g);
      continue;
    }
    const f = PROFILE_FRAME.exec(line);
    if (f && g) g.frames.push({ func: f[1], file: f[2], line: Number(f[3]) });
  }
  return { total: Number(head[1]), groups };
}
