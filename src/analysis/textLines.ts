// Line arithmetic on source text, shared by the parsers' callers and the fixes.

export function lineStartOf(source: string, offset: number): number {
  return source.lastIndexOf('\n', offset - 1) + 1;
}

/**
 * Rows and columns of offsets asked for in ascending order, as tree-sitter counts them (rows by
 * \n, columns in UTF-16 code units, as the editor counts them too): one pass over the text for
 * all of them.
 */
export function pointsIn(text: string): (offset: number) => { row: number; column: number } {
  let row = 0;
  let lineStart = 0;
  return (offset) => {
    for (let nl = text.indexOf('\n', lineStart); nl !== -1 && nl < offset; nl = text.indexOf('\n', nl + 1)) {
      row++;
      lineStart = nl + 1;
    }
    return { row, column: offset - lineStart };
  };
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
