// Every property the agent replaces goes through a PatchSet, so detach can put each one back
// exactly as it was (own property restored, or removed again when it came from a prototype).

interface Patch {
  target: Record<string, unknown>;
  key: string;
  hadOwn: boolean;
  original: unknown;
  replacement: unknown;
}

export class PatchSet {
  private patches: Patch[] = [];

  /** Replaces target[key] with make(original); returns false when it is not a function. */
  wrap(target: object, key: string, make: (original: (...args: unknown[]) => unknown) => (...args: unknown[]) => unknown): boolean {
    const t = target as Record<string, unknown>;
    const original = t[key];
    if (typeof original !== 'function') return false;
    const replacement = make(original as (...args: unknown[]) => unknown);
    const hadOwn = Object.prototype.hasOwnProperty.call(t, key);
    t[key] = replacement;
    this.patches.push({ target: t, key, hadOwn, original, replacement });
    return true;
  }

  restoreAll(): void {
    for (let i = this.patches.length - 1; i >= 0; i--) {
      const p = this.patches[i];
      try {
        // Someone may have wrapped our wrapper since; then leave theirs in place (ours is inert after detach).
        if (p.target[p.key] !== p.replacement) continue;
        if (p.hadOwn) p.target[p.key] = p.original;
        else delete p.target[p.key];
      } catch {
        /* a frozen object: nothing we can do, and our wrapper checks `detached` */
      }
    }
    this.patches = [];
  }
}
