// The one progress bar and status line the commands share (train, download, progress, generate's
// probability bars). On a terminal the status line is redrawn in place; piped to a file or a CI log
// it becomes a plain line every few seconds, so a long run is never silent.

/** `fraction` (clamped to 0…1) of `width` cells, in eighths of a cell, padded to `width`. */
export function bar(fraction: number, width: number): string {
  const eighths = Math.round(Math.max(0, Math.min(1, fraction)) * width * 8);
  const partial = eighths % 8 ? " ▏▎▍▌▋▊▉"[eighths % 8] : "";
  return `${"█".repeat(Math.floor(eighths / 8))}${partial}`.padEnd(width, "░");
}

/** A line that shows the latest state of something long: redrawn on a terminal, printed now and then elsewhere. */
export class StatusLine {
  private lastShown = Number.NEGATIVE_INFINITY;
  private drawn = false;

  /** `everyMs`: how often a line is printed when the stream is not a terminal. */
  constructor(
    private readonly stream: NodeJS.WriteStream = process.stdout,
    private readonly everyMs = 5000,
  ) {}

  /** Shows `text` (at most 10 redraws a second on a terminal); `force` shows it whatever the time. */
  update(text: string, force = false): void {
    const now = performance.now();
    const interval = this.stream.isTTY ? 100 : this.everyMs;
    if (!force && now - this.lastShown < interval) return;
    this.lastShown = now;
    if (this.stream.isTTY) {
      this.stream.write(`\r${text}\x1b[K`);
      this.drawn = true;
    } else {
      this.stream.write(`${text}\n`);
    }
  }

  /** Wipes the redrawn line, so that an ordinary line can be printed in its place. */
  clear(): void {
    if (!this.drawn) return;
    this.stream.write("\r\x1b[K");
    this.drawn = false;
  }

  /** Leaves the last redrawn line on screen and moves below it. */
  keep(): void {
    if (!this.drawn) return;
    this.stream.write("\n");
    this.drawn = false;
  }
}
