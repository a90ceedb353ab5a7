// Line arithmetic on source text, shared by the Go and TypeScript fixes.

export function lineStartOf(source: string, offset: number): number {
  return source.lastIndexOf('\n', offset - 1) + 1;
}

/** The leading whitespace of the line that holds `offset`. */
export function lineIndent(source: string, offset: number): string {
  return /^[ \t]*/.exec(source.slice(lineStartOf(source, offset)))?.[0] ?? '';
}

/**
 * The edits with their new lines written as the file writes them: a file whose first line ends
 * in \r\n gets \r\n (fixes are written with \n, and may copy lines of the file that have \r\n).
 * An edit that starts or ends between a \r and its \n (fixes find line ends by \n) moves before
 * the \r.
 */
export function withLineEndingsOf<E extends { start: number; end: number; newText: string }>(source: string, edits: E[]): E[] {
  const nl = source.indexOf('\n');
  if (nl <= 0 || source[nl - 1] !== '\r') return edits;
  const whole = (at: number): number => (at > 0 && source[at - 1] === '\r' && source[at] === '\n' ? at - 1 : at);
  return edits.map((e) => ({ ...e, start: whole(e.start), end: whole(e.end), newText: e.newText.replace(/(?<!\r)\n/g, '\r\n') }));
}
