// The Go version a file is built with: the `go` directive of the nearest go.mod above it.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function goDirectiveOf(goModText: string): string | null {
  const m = /^go\s+(\d+\.\d+(?:\.\d+)?)\s*$/m.exec(goModText);
  return m ? m[1] : null;
}

/** The `go` version of the module holding dir, or null when there is no go.mod (or it names none). */
export function moduleGoVersion(dir: string): string | null {
  for (let d = dir, i = 0; i < 64; i++) {
    try {
      return goDirectiveOf(readFileSync(join(d, 'go.mod'), 'utf8'));
    } catch { /* not here: one level up */ }
    const up = dirname(d);
    if (up === d) return null;
    d = up;
  }
  return null;
}
