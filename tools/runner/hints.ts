// A step's hints live beside it, in steps/step_NN.hints.md: one "## Title" section per hint,
// in order of increasing help; the last points at the reference solution.
import { existsSync, readFileSync } from "node:fs";

export interface Hint {
  title: string;
  text: string;
}

export function readHints(nn: string): Hint[] {
  const file = `steps/step_${nn}.hints.md`;
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split(/^## /m)
    .slice(1)
    .map((section) => {
      const [title, ...body] = section.split("\n");
      return { title: title.trim(), text: body.join("\n").trim() };
    });
}

/** Hint `k` (1-based) of step `nn`, ready to print, with a pointer to the next one. */
export function formatHint(nn: string, k: number): string {
  const hints = readHints(nn);
  if (hints.length === 0) return `step ${nn} has no hints file (steps/step_${nn}.hints.md)`;
  const index = Math.min(Math.max(k, 1), hints.length) - 1;
  const { title, text } = hints[index];
  const more = index + 1 < hints.length ? `\n\nMore help: npm run hint -- ${nn} ${index + 2}` : "";
  const past = k > hints.length ? `Step ${nn} has ${hints.length} hints; here is the last.\n\n` : "";
  return `${past}Hint ${index + 1} of ${hints.length} for step ${nn}: ${title}\n\n${text}${more}`;
}
