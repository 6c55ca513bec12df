// The middle of a list of timings: what the bench reports of several runs, since one slow run
// (the machine busy elsewhere) moves it less than it moves the mean.

/** The middle value of `xs`, or the mean of the two middle ones for an even count. */
export function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
