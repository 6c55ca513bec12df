// A step's hints live beside it, in steps/step_NN.hints.md: three "## " sections that build up —
// 1 the idea and the book section to read, 2 which framework functions and shapes, 3 code.
// The runner adds what every step shares: the heading line, the next command, and, after the
// last hint, where the reference solution is.
import { existsSync, readFileSync } from "node:fs";
import { stepPaths } from "../curriculum.ts";

export const HINT_TITLES = ["The idea", "The pieces", "The code"] as const;

export interface Hint {
  title: string;
  text: string;
}

export function readHints(nn: string): Hint[] {
  const file = stepPaths(nn).hints;
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
  if (hints.length === 0) return `step ${nn} has no hints file (${stepPaths(nn).hints})`;
  const index = Math.min(Math.max(k, 1), hints.length) - 1;
  const { title, text } = hints[index];
  const last = index + 1 === hints.length;
  const next = last
    ? `\n\nStill stuck? The reference is ${stepPaths(nn).solution}; npm run s${nn} -- --solution shows it passing every check.`
    : `\n\nMore help (gives more away): npm run hint -- ${nn} ${index + 2}`;
  const past = k > hints.length ? `Step ${nn} has ${hints.length} hints; here is the last.\n\n` : "";
  return `${past}Hint ${index + 1} of ${hints.length} for step ${nn}: ${title}\n\n${text}${next}`;
}
