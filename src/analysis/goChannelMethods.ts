// Which functions and methods return a channel first, read from the declarations of every Go file
// `lint` walks: `eventC, closer := c.queue.Subscribe()` ranges over a channel only if Subscribe
// says so, and Subscribe is usually declared in another package. Read from gofmt'd text (a
// declaration starts a line with `func`), not parsed: most files declare nothing of interest.
// Pure.

/** `name/results` → every declaration of that name with that many results returns a channel first. */
export type ChannelResults = Map<string, boolean>;

/** The text from `open` (a bracket) to its matching close, or null when it does not close. */
function bracketed(text: string, open: number): { inner: string; end: number } | null {
  const pairs: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
  const stack: string[] = [];
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c in pairs) stack.push(pairs[c]);
    else if (c === ')' || c === ']' || c === '}') {
      if (stack.pop() !== c) return null;
      if (stack.length === 0) return { inner: text.slice(open + 1, i), end: i + 1 };
    }
  }
  return null;
}

/** Top-level comma-separated parts. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      out.push(s.slice(from, i).trim());
      from = i + 1;
    }
  }
  const last = s.slice(from).trim();
  if (last) out.push(last);
  return out;
}

const CHAN = /^(?:<-\s*)?chan\b/;

/** A result of `(name chan T, err error)` or `(chan T, error)`: is it a channel? */
function isChannelResult(part: string): boolean {
  return CHAN.test(part) || /^\w+\s+(?:<-\s*)?chan\b/.test(part);
}

/** The results of the declarations in one file: [name, result count, first result is a channel]. */
export function declaredResults(text: string): Array<[string, number, boolean]> {
  const out: Array<[string, number, boolean]> = [];
  const head = /^func\s+(?:\([^)]*\)\s*)?(\w+)\s*/gm;
  for (let m = head.exec(text); m; m = head.exec(text)) {
    let at = m.index + m[0].length;
    if (text[at] === '[') {
      const generic = bracketed(text, at);
      if (!generic) continue;
      at = generic.end;
    }
    if (text[at] !== '(') continue;
    const params = bracketed(text, at);
    if (!params) continue;
    const rest = text.slice(params.end, text.indexOf('\n', params.end) === -1 ? text.length : text.indexOf('\n', params.end)).trim();
    let results: string[];
    if (rest.startsWith('(')) {
      const r = bracketed(rest, 0);
      if (!r) continue;
      results = splitTop(r.inner);
    } else {
      const single = rest.replace(/\{.*$/, '').trim();
      results = single ? [single] : [];
    }
    // `(a, b chan T)`: names sharing one type count one result each.
    out.push([m[1], results.length, results.length > 0 && isChannelResult(results[0])]);
  }
  return out;
}

/** Gathers declarations file by file; `result()` says which name/arity pairs always return a channel first. */
export class ChannelResultsCollector {
  private readonly out: ChannelResults = new Map();
  // Names declared in files that never spell chan: no declaration of theirs returns one, whatever
  // its results (only the name is read there, which keeps this cheap on generated code).
  private readonly plain = new Set<string>();

  add(text: string): void {
    if (!text.includes('chan')) {
      for (const m of text.matchAll(/^func\s+(?:\([^)]*\)\s*)?(\w+)/gm)) this.plain.add(m[1]);
      return;
    }
    for (const [name, n, chan] of declaredResults(text)) {
      const key = `${name}/${n}`;
      this.out.set(key, (this.out.get(key) ?? true) && chan);
    }
  }

  result(): ChannelResults {
    for (const key of this.out.keys()) if (this.plain.has(key.slice(0, key.lastIndexOf('/')))) this.out.set(key, false);
    return this.out;
  }
}

/** From every file's text: which name/arity pairs always return a channel first. */
export function channelResults(texts: Iterable<string>): ChannelResults {
  const c = new ChannelResultsCollector();
  for (const t of texts) c.add(t);
  return c.result();
}
