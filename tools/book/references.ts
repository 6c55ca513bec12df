// Finds broken references in the mdBook sources: SUMMARY entries whose file is missing, and
// {{#include}} directives whose file, anchor or line range does not exist. Each problem names
// the file and line, so `npm test` (and later the book builder) can point straight at it.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

export interface Problem {
  file: string;
  line: number;
  message: string;
}

export interface Include {
  line: number;
  /** The directive as written, e.g. "{{#include ../../steps/step_01.ts:setup}}". */
  raw: string;
  target: string;
  /** Either an anchor name, or a 1-based line range [start, end] where null means open-ended. */
  selector: { anchor: string } | { start: number | null; end: number | null } | null;
}

/** Chapter paths linked from SUMMARY.md, with their line numbers (draft entries `[x]()` skipped). */
export function summaryLinks(summary: string): { line: number; target: string }[] {
  const links: { line: number; target: string }[] = [];
  summary.split("\n").forEach((text, i) => {
    for (const match of text.matchAll(/\[[^\]]*\]\(([^)]*)\)/g)) if (match[1].trim()) links.push({ line: i + 1, target: match[1].trim() });
  });
  return links;
}

/** Parses `{{#include path}}`, `{{#include path:anchor}}`, `{{#include path:start:end}}` and open-ended ranges. */
export function includeDirectives(markdown: string): Include[] {
  const found: Include[] = [];
  markdown.split("\n").forEach((text, i) => {
    for (const match of text.matchAll(/\{\{#include\s+([^}\s]+)\s*\}\}/g)) {
      const [target, ...rest] = match[1].split(":");
      let selector: Include["selector"] = null;
      if (rest.length === 1 && rest[0] !== "" && !/^\d+$/.test(rest[0])) selector = { anchor: rest[0] };
      else if (rest.length >= 1) {
        const num = (s: string | undefined) => (s === undefined || s === "" ? null : Number(s));
        selector = { start: num(rest[0]), end: rest.length === 1 ? num(rest[0]) : num(rest[1]) };
      }
      found.push({ line: i + 1, raw: match[0], target, selector });
    }
  });
  return found;
}

function checkInclude(chapter: string, inc: Include): string | null {
  const file = path.resolve(path.dirname(chapter), inc.target);
  if (!existsSync(file)) return `${inc.raw}: no such file (paths are relative to the chapter)`;
  const lines = readFileSync(file, "utf8").split("\n");
  if (!inc.selector) return null;
  if ("anchor" in inc.selector) {
    const name = inc.selector.anchor;
    const start = lines.some((l) => new RegExp(`ANCHOR:\\s*${name}\\b`).test(l));
    const end = lines.some((l) => new RegExp(`ANCHOR_END:\\s*${name}\\b`).test(l));
    return start && end ? null : `${inc.raw}: anchor "${name}" not found (needs ANCHOR: ${name} and ANCHOR_END: ${name})`;
  }
  const { start, end } = inc.selector;
  if ((start ?? 1) > lines.length || (end ?? 1) > lines.length || (start !== null && end !== null && start > end)) {
    return `${inc.raw}: line range ${start ?? ""}:${end ?? ""} is outside the file's ${lines.length} lines`;
  }
  return null;
}

/** Every broken reference in the book at `bookDir` (the folder holding book.toml). */
export function findBrokenReferences(bookDir: string): Problem[] {
  const src = path.join(bookDir, "src");
  const summaryFile = path.join(src, "SUMMARY.md");
  const problems: Problem[] = [];
  const chapters = summaryLinks(readFileSync(summaryFile, "utf8"));
  for (const { line, target } of chapters) {
    const chapter = path.join(src, target);
    if (!existsSync(chapter)) {
      problems.push({ file: summaryFile, line, message: `chapter file ${target} does not exist` });
      continue;
    }
    for (const inc of includeDirectives(readFileSync(chapter, "utf8"))) {
      const message = checkInclude(chapter, inc);
      if (message) problems.push({ file: chapter, line: inc.line, message });
    }
  }
  return problems;
}
