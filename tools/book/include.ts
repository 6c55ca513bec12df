// mdBook's include preprocessor:
//   {{#include path}}            the whole file
//   {{#include path:name}}       the lines between "ANCHOR: name" and "ANCHOR_END: name"
//   {{#include path:N}}          line N only          {{#include path:N:}}   line N to the end
//   {{#include path::M}}         lines 1 to M         {{#include path:N:M}}  lines N to M
// Paths are relative to the file that holds the directive. Lines carrying ANCHOR markers are
// dropped from the output. Included Markdown is expanded again (up to 10 levels), and
// \{{#include …}} stays literal (without the backslash).
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { BookError } from "./errors.ts";

export type Selector = { anchor: string } | { start: number | null; end: number | null } | null;

const DIRECTIVE = /(\\?)\{\{#include\s+([^}\s]+)\s*\}\}/g;
const MARKER = /ANCHOR(_END)?:\s*[\w_-]+/;

export function parseTarget(spec: string): { target: string; selector: Selector } {
  const [target, ...rest] = spec.split(":");
  if (rest.length === 0) return { target, selector: null };
  if (rest.length === 1 && rest[0] !== "" && !/^\d+$/.test(rest[0])) return { target, selector: { anchor: rest[0] } };
  const num = (s: string | undefined) => (s === undefined || s === "" ? null : Number(s));
  return { target, selector: { start: num(rest[0]), end: rest.length === 1 ? num(rest[0]) : num(rest[1]) } };
}

function select(lines: string[], selector: Selector, fail: (message: string) => never): string[] {
  if (!selector) return lines.filter((l) => !MARKER.test(l));
  if ("anchor" in selector) {
    const name = selector.anchor;
    const start = lines.findIndex((l) => new RegExp(`ANCHOR:\\s*${name}\\b`).test(l));
    const end = lines.findIndex((l, i) => i > start && new RegExp(`ANCHOR_END:\\s*${name}\\b`).test(l));
    if (start < 0 || end < 0) fail(`anchor "${name}" not found (needs ANCHOR: ${name} and ANCHOR_END: ${name})`);
    return lines.slice(start + 1, end).filter((l) => !MARKER.test(l));
  }
  const count = lines.length;
  const first = selector.start ?? 1;
  const last = selector.end ?? count;
  if (first < 1 || first > count || last > count || first > last)
    fail(`line range ${selector.start ?? ""}:${selector.end ?? ""} is outside the file's ${count} lines`);
  return lines.slice(first - 1, last).filter((l) => !MARKER.test(l));
}

/** Expands every include in `markdown`, which lives in `file`. */
export function expandIncludes(markdown: string, file: string, depth = 0): string {
  return markdown
    .split("\n")
    .map((text, index) =>
      text.replace(DIRECTIVE, (whole, escaped: string, spec: string) => {
        if (escaped) return whole.slice(1);
        const fail = (message: string): never => {
          throw new BookError(file, index + 1, `${whole.trim()}: ${message}`);
        };
        if (depth >= 10) fail("includes nested more than 10 levels deep");
        const { target, selector } = parseTarget(spec);
        const resolved = path.resolve(path.dirname(file), target);
        if (!existsSync(resolved))
          fail(`no such file ${path.relative(process.cwd(), resolved)} (paths are relative to the chapter)`);
        let content = select(readFileSync(resolved, "utf8").replace(/\n$/, "").split("\n"), selector, fail).join("\n");
        if (resolved.endsWith(".md")) content = expandIncludes(content, resolved, depth + 1);
        return content;
      }),
    )
    .join("\n");
}

/** Every file an include in `markdown` reads (for the file watcher). */
export function includedFiles(markdown: string, file: string): string[] {
  return [...markdown.matchAll(DIRECTIVE)]
    .filter((m) => !m[1])
    .map((m) => path.resolve(path.dirname(file), parseTarget(m[2]).target));
}
