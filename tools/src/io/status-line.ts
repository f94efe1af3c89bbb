// One progress line on a terminal, redrawn in place: the sweep's (io/sweep-progress.ts) and a heap digest's
// (io/digest-progress.ts). Callers decide whether the stream is a terminal; this only draws.

/** The part of a stream (process.stderr) a progress line needs. */
export interface TerminalStream {
  readonly isTTY?: boolean;
  /** The terminal's width; undefined or 0 when unknown. */
  readonly columns?: number;
  write(text: string): unknown;
}

/** Carriage return, then erase the whole line: what follows starts on a clean line. */
const ERASE_LINE = "\r\u001b[2K";

export class StatusLine {
  private drawn = false;

  constructor(private readonly stream: TerminalStream) {}

  draw(text: string): void {
    // Never wider than the terminal, or the line would wrap and \r could not redraw it.
    this.stream.write(`${ERASE_LINE}${text.slice(0, Math.max(20, (this.stream.columns || 120) - 1))}`);
    this.drawn = true;
  }

  /** Leaves the cursor at the start of an empty line, as if nothing had been drawn. */
  erase(): void {
    if (this.drawn) this.stream.write(ERASE_LINE);
    this.drawn = false;
  }
}
