// The book's sources must have no broken references: every SUMMARY entry and every include resolves.
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
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
