// Terminal colours for the tools' output: only on a terminal, and never with NO_COLOR set.
const useColor = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;

export const paint = (code: number) => (s: string) => (useColor ? `\x1b[${code}m${s}\x1b[0m` : s);
export const green = paint(32);
export const red = paint(31);
export const dim = paint(2);
