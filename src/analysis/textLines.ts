// Line arithmetic on source text, shared by the Go and TypeScript fixes.

export function lineStartOf(source: string, offset: number): number {
  return source.lastIndexOf('\n', offset - 1) + 1;
}

/** The leading whitespace of the line that holds `offset`. */
export function lineIndent(source: string, offset: number): string {
  return /^[ \t]*/.exec(source.slice(lineStartOf(source, offset)))?.[0] ?? '';
}
