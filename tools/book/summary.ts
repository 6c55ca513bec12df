// SUMMARY.md, as mdBook reads it:
//   # Summary                      a title (ignored)
//   [Introduction](intro.md)       prefix chapters (before the first list): unnumbered
//   # Part title                   a part heading
//   - [Chapter](ch.md)             numbered chapters; indentation nests them
//   - [Draft]()                    a draft: listed, no page
//   ---                            a separator
//   [Appendix](appendix.md)        suffix chapters (after the lists): unnumbered
import { BookError } from "./errors.ts";

export type SummaryItem =
  | { kind: "part"; title: string; line: number }
  | { kind: "separator"; line: number }
  | { kind: "chapter"; title: string; path: string | null; number: string | null; depth: number; line: number };

export type Chapter = Extract<SummaryItem, { kind: "chapter" }>;

const LINK = /^\[(.+)\]\(([^)]*)\)$/;

export function parseSummary(text: string, file: string): SummaryItem[] {
  const items: SummaryItem[] = [];
  const counters: number[] = [];
  // mdBook's order: unnumbered prefix chapters, numbered lists, unnumbered suffix chapters.
  let phase: "prefix" | "numbered" | "suffix" = "prefix";
  let firstHeading = true;
  text.split("\n").forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === "" || /^<!--.*-->$/.test(trimmed)) return;
    if (/^#{1,6}\s/.test(trimmed)) {
      // The first heading is the book's own "# Summary" title.
      if (firstHeading && items.length === 0) firstHeading = false;
      else items.push({ kind: "part", title: trimmed.replace(/^#+\s*/, ""), line });
      return;
    }
    firstHeading = false;
    if (/^(-{3,}|\*{3,}|_{3,})$/.test(trimmed)) {
      items.push({ kind: "separator", line });
      return;
    }
    const listItem = /^(\s*)[-*]\s+(.*)$/.exec(raw);
    const link = LINK.exec(listItem ? listItem[2].trim() : trimmed);
    if (!link)
      throw new BookError(file, line, `expected a link like "- [Title](file.md)", got ${JSON.stringify(trimmed)}`);
    const [, title, target] = link;
    const path = target.trim() === "" ? null : target.trim();
    if (!listItem) {
      if (phase === "numbered") phase = "suffix";
      items.push({ kind: "chapter", title, path, number: null, depth: 0, line });
      return;
    }
    if (phase === "suffix") throw new BookError(file, line, `numbered chapter "${title}" after a suffix chapter`);
    phase = "numbered";
    const depth = Math.floor(listItem[1].replace(/\t/g, "    ").length / 2);
    if (depth > counters.length)
      throw new BookError(file, line, `"${title}" is indented deeper than the chapter above it`);
    counters.length = depth + 1;
    counters[depth] = (counters[depth] ?? 0) + 1;
    items.push({ kind: "chapter", title, path, number: counters.join("."), depth, line });
  });
  return items;
}

/** Chapters that have a page, in reading order. */
export function pages(items: SummaryItem[]): (Chapter & { path: string })[] {
  return items.filter((i): i is Chapter & { path: string } => i.kind === "chapter" && i.path !== null);
}

/** A step chapter's file: step_NN.md, in any folder. */
const STEP_FILE = /(?:^|\/)step_(\d+)\.md$/;

/** The step a chapter's file teaches (step_17.md → 17), or null for a chapter that is not a step. */
export function stepOf(chapterPath: string): number | null {
  const match = STEP_FILE.exec(chapterPath);
  return match ? Number(match[1]) : null;
}

/**
 * The numbers readers see: a step chapter is numbered by its step, every other chapter is
 * unnumbered. mdBook counts list items instead, so a page between two steps ("Where the time
 * goes") would shift every later chapter away from the step it teaches.
 */
export function numberByStep(items: SummaryItem[]): SummaryItem[] {
  return items.map((item) => {
    if (item.kind !== "chapter") return item;
    const step = item.path ? stepOf(item.path) : null;
    return { ...item, number: step === null ? null : String(step) };
  });
}

/** I, II, III… for the sidebar's part labels (parts are few, so the subtractive forms suffice). */
export function roman(n: number): string {
  const digits: [number, string][] = [
    [50, "L"],
    [40, "XL"],
    [10, "X"],
    [9, "IX"],
    [5, "V"],
    [4, "IV"],
    [1, "I"],
  ];
  let out = "";
  for (const [value, letters] of digits) for (; n >= value; n -= value) out += letters;
  return out;
}
