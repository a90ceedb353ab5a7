// A small argument parser: flags with values, boolean switches, positionals. No dependencies.

export interface ParsedArgs {
  positionals: string[];
  values: Map<string, string>;
  switches: Set<string>;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/** By name: dist/analysis.js bundles its own copy of this class. */
export function isUsageError(e: unknown): e is Error {
  return e instanceof Error && e.name === 'UsageError';
}

export function parseArgs(argv: string[], valueFlags: string[], switchFlags: string[]): ParsedArgs {
  const out: ParsedArgs = { positionals: [], values: new Map(), switches: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--') || (a.startsWith('-') && a.length === 2)) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(0, eq) : a;
      if (valueFlags.includes(name)) {
        const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined) throw new UsageError(`${name} needs a value.`);
        out.values.set(name, v);
      } else if (switchFlags.includes(name)) {
        out.switches.add(name);
      } else {
        throw new UsageError(`Unknown option ${name}.`);
      }
    } else {
      out.positionals.push(a);
    }
  }
  return out;
}
