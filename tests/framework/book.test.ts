// The book's sources must have no broken references: every SUMMARY entry and every include resolves.
import { existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { findBrokenReferences, includeDirectives, summaryLinks } from "../../tools/book/references.ts";

const bookDir = fileURLToPath(new URL("../../book", import.meta.url));

describe("book references", () => {
  it("the real book has no broken SUMMARY entries or includes", () => {
    expect(findBrokenReferences(bookDir)).toEqual([]);
  });

  it("parses SUMMARY links and skips drafts", () => {
    expect(summaryLinks("# Summary\n[Intro](intro.md)\n- [A](a.md)\n- [Draft]()\n")).toEqual([
      { line: 2, target: "intro.md" },
      { line: 3, target: "a.md" },
    ]);
  });

  it("parses every include form", () => {
    const md = "{{#include a.ts}}\n{{#include a.ts:setup}}\n{{#include a.ts:2:5}}\n{{#include a.ts:3:}}\n{{#include a.ts::4}}\n{{#include a.ts:7}}";
    expect(includeDirectives(md).map((i) => i.selector)).toEqual([
      null,
      { anchor: "setup" },
      { start: 2, end: 5 },
      { start: 3, end: null },
      { start: null, end: 4 },
      { start: 7, end: 7 },
    ]);
  });

  it("reports a missing chapter, file, anchor and line range with file and line", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "book-"));
    mkdirSync(path.join(dir, "src"));
    writeFileSync(path.join(dir, "code.ts"), "// ANCHOR: ok\nconst a = 1;\n// ANCHOR_END: ok\n");
    writeFileSync(path.join(dir, "src", "SUMMARY.md"), "# Summary\n[One](one.md)\n[Gone](gone.md)\n");
    writeFileSync(path.join(dir, "src", "one.md"), "{{#include ../code.ts:ok}}\n{{#include ../code.ts:nope}}\n{{#include ../missing.ts}}\n{{#include ../code.ts:2:99}}\n");
    const problems = findBrokenReferences(dir).map((p) => `${path.basename(p.file)}:${p.line} ${p.message}`);
    expect(problems).toEqual([
      expect.stringMatching(/^one.md:2 \{\{#include \.\.\/code\.ts:nope\}\}: anchor "nope" not found/),
      expect.stringMatching(/^one.md:3 .*no such file/),
      expect.stringMatching(/^one.md:4 \{\{#include \.\.\/code\.ts:2:99\}\}: line range 2:99 is outside the file's 4 lines/),
      expect.stringMatching(/^SUMMARY.md:3 chapter file gone.md does not exist/),
    ]);
  });
});

describe("step chapters", () => {
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const steps = readdirSync(path.join(root, "tests")).flatMap((f) => /^step_(\d\d)\.test\.ts$/.exec(f)?.[1] ?? []);

  it("there is a chapter for every step's checks", () => {
    expect(steps.length).toBeGreaterThan(0);
    for (const nn of steps) expect(existsSync(path.join(root, "book", "src", `step_${nn}.md`)), `book/src/step_${nn}.md`).toBe(true);
  });

  it.each(steps)("step %s: every section a hint points to is a heading of the chapter", (nn) => {
    const chapter = readFileSync(path.join(root, "book", "src", `step_${nn}.md`), "utf8");
    const headings = new Set([...chapter.matchAll(/^#{2,3} (.+)$/gm)].map((m) => m[1].trim()));
    const sections = new Set([...readFileSync(path.join(root, "tests", `step_${nn}.test.ts`), "utf8").matchAll(/section: "([^"]+)"/g)].map((m) => m[1]));
    expect(sections.size).toBeGreaterThan(0);
    for (const section of sections) expect([...headings], `section "${section}" of book/src/step_${nn}.md`).toContain(section);
  });

  it.each(steps)("step %s: the chapter includes its skeleton and solution and names its check command", (nn) => {
    const chapter = readFileSync(path.join(root, "book", "src", `step_${nn}.md`), "utf8");
    expect(chapter).toContain(`{{#include ../../steps/step_${nn}.ts}}`);
    expect(chapter).toContain(`{{#include ../../solutions/solution_${nn}.ts}}`);
    expect(chapter).toContain(`**Validation:** \`npm run s${nn}\``);
  });
});
