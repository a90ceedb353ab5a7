// One status line on a terminal's stderr while attaching (installing the agent and adopting
// 10,000 calls takes seconds); nothing when stderr is a pipe or a file, so output stays clean.
export interface StatusStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

export class ProgressLine {
  private shown = false;

  constructor(private readonly stream: StatusStream = process.stderr) {}

  /** Replaces the line with the step now under way. */
  step(text: string): void {
    if (!this.stream.isTTY) return;
    this.stream.write(`\r\x1b[2K${text}…`);
    this.shown = true;
  }

  /** Clears the line, so that what follows starts on a clean one. */
  done(): void {
    if (!this.shown) return;
    this.stream.write('\r\x1b[2K');
    this.shown = false;
  }
}
