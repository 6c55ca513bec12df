// The book's sources must have no broken references: every SUMMARY entry and every include resolves.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { buildBook } from "../../tools/book/build.ts";
import { BookError } from "../../tools/book/errors.ts";
import { expandIncludes } from "../../tools/book/include.ts";
import { createRenderer, mdbookMath } from "../../tools/book/render.ts";
import { STEPS } from "../../tools/curriculum.ts";
import { readHints } from "../../tools/runner/hints.ts";
import { numberByStep, pages, parseSummary, roman } from "../../tools/book/summary.ts";
import { tempDir } from "../temp-dir.ts";
import { runTool } from "./run-tool.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** A throwaway book: files relative to its folder (book.toml and src/… are added as given). */
function sampleBook(files: Record<string, string>): string {
  const dir = tempDir("book");
  for (const [name, text] of Object.entries({ "book.toml": '[book]\ntitle = "Sample"\n', ...files })) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

async function buildError(files: Record<string, string>): Promise<string> {
  const dir = sampleBook(files);
  try {
    await buildBook({ bookDir: dir });
  } catch (error) {
    expect(error).toBeInstanceOf(BookError);
    const { file, line, problem } = error as BookError;
    return `${path.relative(dir, file)}:${line}: ${problem}`;
  }
  throw new Error("the build should have failed");
}

describe("SUMMARY.md", () => {
  const summary = `# Summary

[Introduction](intro.md)

# Part one

- [First](a.md)
  - [First, nested](a1.md)
  - [Draft]()
- [Second](b.md)

---

# Part two

- [Third](c.md)

[Appendix](appendix.md)
`;

  it("reads prefix chapters, parts, nested numbering, drafts, separators and suffix chapters", () => {
    const items = parseSummary(summary, "SUMMARY.md").map((i) =>
      i.kind === "chapter"
        ? `${i.number ?? "-"} ${i.title} ${i.path ?? "(draft)"} d${i.depth}`
        : i.kind === "part"
          ? `# ${i.title}`
          : "---",
    );
    expect(items).toEqual([
      "- Introduction intro.md d0",
      "# Part one",
      "1 First a.md d0",
      "1.1 First, nested a1.md d1",
      "1.2 Draft (draft) d1",
      "2 Second b.md d0",
      "---",
      "# Part two",
      "3 Third c.md d0",
      "- Appendix appendix.md d0",
    ]);
    expect(pages(parseSummary(summary, "SUMMARY.md")).map((p) => p.path)).toEqual([
      "intro.md",
      "a.md",
      "a1.md",
      "b.md",
      "c.md",
      "appendix.md",
    ]);
  });

  it("rejects malformed lines and numbered chapters after the suffix, with the line", () => {
    expect(() => parseSummary("# Summary\n- [A](a.md)\n- just text\n", "S.md")).toThrow(/S\.md:3: expected a link/);
    expect(() => parseSummary("# Summary\n- [A](a.md)\n[Z](z.md)\n- [B](b.md)\n", "S.md")).toThrow(
      /S\.md:4: numbered chapter "B" after a suffix chapter/,
    );
    expect(() => parseSummary("# Summary\n- [A](a.md)\n      - [Deep](d.md)\n", "S.md")).toThrow(
      /S\.md:3: "Deep" is indented deeper/,
    );
  });
});

describe("chapter numbers", () => {
  it("are step numbers: step_NN.md is NN, a chapter that is not a step has none", () => {
    const summary = "# Summary\n[Intro](intro.md)\n# One\n- [A](step_01.md)\n- [Aside](aside.md)\n- [B](step_02.md)\n";
    const numbers = pages(numberByStep(parseSummary(summary, "SUMMARY.md"))).map((c) => `${c.number} ${c.title}`);
    expect(numbers).toEqual(["null Intro", "1 A", "null Aside", "2 B"]);
    expect([1, 4, 8, 9, 14, 19].map(roman)).toEqual(["I", "IV", "VIII", "IX", "XIV", "XIX"]);
  });
});

describe("rendering", () => {
  const steps = new Map([
    [2, "step_02.md"],
    [8, "step_08.md"],
  ]);
  const html = async (markdown: string, page = "step_09.md") =>
    (await createRenderer())(markdown, { page, steps }).html;

  it('links "step NN" in prose to its chapter, but not in code, headings, links, or to itself', async () => {
    expect(await html("The mask from step 02 and Step 8's attention.")).toBe(
      '<p>The mask from <a href="step_02.html">step 02</a> and <a href="step_08.html">Step 8</a>\'s attention.</p>\n',
    );
    const untouched = await html("## About step 02\n\n`step 02` [as in step 02](x.md), step 08, step 99, steps 02–08");
    expect(untouched).not.toContain('href="step_02.html"');
    expect(untouched.match(/href="step_08\.html"/g)).toHaveLength(1);
    expect(await html("In step 08 itself.", "step_08.md")).not.toContain("<a ");
    expect(await html("```ts\n// see step 02\n```")).not.toContain("step_02.html");
  });

  it("makes an image followed by an italic paragraph a figure with its caption", async () => {
    expect(await html("![A mask](figures/m.svg)\n\n*The mask: **zero** below.*\n\nAfter.")).toBe(
      '<figure><img src="figures/m.svg" alt="A mask"><figcaption>The mask: <strong>zero</strong> below.</figcaption>\n</figure>\n<p>After.</p>\n',
    );
    // an image with ordinary text after it, or a paragraph only partly in italics, stays as it was
    expect(await html("![A](a.svg)\n\nPlain text.")).not.toContain("<figure>");
    expect(await html("![A](a.svg)\n\n*One* and *two*")).not.toContain("<figure>");
  });
});

describe("{{#include}}", () => {
  const dir = sampleBook({
    "code.ts":
      "line 1\n// ANCHOR: setup\nconst a = 1;\n// ANCHOR: inner\nconst b = 2;\n// ANCHOR_END: inner\n// ANCHOR_END: setup\nline 8\n",
    "src/part.md": "included *markdown* {{#include ../code.ts:inner}}\n",
  });
  const chapter = path.join(dir, "src", "ch.md");
  const expand = (directive: string) => expandIncludes(directive, chapter);

  it("includes a whole file, without its anchor markers", () => {
    expect(expand("{{#include ../code.ts}}")).toBe("line 1\nconst a = 1;\nconst b = 2;\nline 8");
  });
  it("includes an anchor, with nested markers dropped", () => {
    expect(expand("{{#include ../code.ts:setup}}")).toBe("const a = 1;\nconst b = 2;");
    expect(expand("{{#include ../code.ts:inner}}")).toBe("const b = 2;");
  });
  it("includes line N, N to the end, up to M, and N to M", () => {
    expect(expand("{{#include ../code.ts:3}}")).toBe("const a = 1;");
    expect(expand("{{#include ../code.ts:8:}}")).toBe("line 8");
    expect(expand("{{#include ../code.ts::3}}")).toBe("line 1\nconst a = 1;");
    expect(expand("{{#include ../code.ts:3:5}}")).toBe("const a = 1;\nconst b = 2;");
  });
  it("expands includes inside included Markdown, and leaves escaped ones alone", () => {
    expect(expand("{{#include part.md}}")).toBe("included *markdown* const b = 2;");
    expect(expand("\\{{#include ../code.ts}}")).toBe("{{#include ../code.ts}}");
  });
  it("reports a missing file, anchor or line range with file and line", () => {
    expect(() => expand("ok\n{{#include ../nope.ts}}")).toThrow(
      /ch\.md:2: \{\{#include \.\.\/nope\.ts\}\}: no such file/,
    );
    expect(() => expand("{{#include ../code.ts:missing}}")).toThrow(/ch\.md:1: .*anchor "missing" not found/);
    expect(() => expand("{{#include ../code.ts:5:99}}")).toThrow(
      /ch\.md:1: .*line range 5:99 is outside the file's 8 lines/,
    );
  });
});

describe("math", () => {
  it("reads mdBook's \\\\( \\\\) and \\\\[ \\\\] delimiters, but not inside code", () => {
    expect(mdbookMath("a \\\\(x^2\\\\) b\n\\\\[\ny = 1\n\\\\]\n`\\\\(code\\\\)`")).toBe(
      "a $x^2$ b\n$$\ny = 1\n$$\n`\\\\(code\\\\)`",
    );
  });
});

describe("figures", () => {
  it("every figure a chapter shows is in the built book as a drawn SVG", async () => {
    const out = tempDir("book-figures");
    await buildBook({ bookDir: path.join(root, "book"), outDir: out });
    const shown = new Set<string>();
    for (const page of readdirSync(out).filter((f) => f.endsWith(".html")))
      for (const [, src] of readFileSync(path.join(out, page), "utf8").matchAll(/<img src="(figures\/[\w-]+\.svg)"/g))
        shown.add(src);
    expect([...shown].sort()).toEqual(
      readdirSync(path.join(root, "book", "src", "figures"))
        .map((f) => `figures/${f}`)
        .sort(),
    );
    for (const src of shown) {
      const svg = readFileSync(path.join(out, src), "utf8");
      expect(svg, src).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      // drawn marks, not an empty frame: rectangles, paths or cells
      expect((svg.match(/<(rect|path)\b/g) ?? []).length, src).toBeGreaterThan(5);
      expect(svg, `${src} says what its numbers came from`).toMatch(/default-model\/|GPT-2 124M|reference/);
    }
  });

  it("the committed figures are what the code draws now (npm run figures)", async () => {
    const { code, out } = await runTool("figures", ["--check"]);
    expect(out).toBe("");
    expect(code).toBe(0);
  });
});

describe("building", () => {
  it("the real book builds with no broken reference", async () => {
    const out = tempDir("book-out");
    const result = await buildBook({ bookDir: path.join(root, "book"), outDir: out });
    // One page per chapter that SUMMARY.md links (introduction, setup, every step, extra chapters).
    const linked =
      readFileSync(path.join(root, "book", "src", "SUMMARY.md"), "utf8").match(/\]\([\w./-]+\.md\)/g) ?? [];
    expect(result.pages).toBe(linked.length);
    expect(linked.length).toBeGreaterThanOrEqual(STEPS.length + 2);
    const step13 = readFileSync(path.join(out, "step_13.html"), "utf8");
    const text = step13.replace(/<[^>]+>/g, "");
    expect(text).toContain("export class GPT2LMHeadModel extends Module");
    expect(text).toContain("Validation: npm run s13");
    expect(step13).toMatch(/<a href="step_13\.html" class="active" aria-current="page">/);
    expect(step13).toMatch(/rel="prev" href="step_12\.html"/);
    expect(readFileSync(path.join(out, "index.html"), "utf8")).toContain("<h1");
    expect(existsSync(path.join(out, "katex", "katex.min.css"))).toBe(true);
    expect(readFileSync(path.join(out, "step_03.html"), "utf8")).toContain('class="katex');
    // GPT-2 on one page: the solutions' forward passes, in reading order, without anchor markers.
    const onePage = readFileSync(path.join(out, "one-page.html"), "utf8").replace(/<[^>]+>/g, "");
    const order = ["forward(ids: IntTensor)", "preNormResidual(x, this.ln_1", "splitHeads(", "lm_head"];
    const at = order.map((code) => onePage.indexOf(code));
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(onePage).not.toContain("ANCHOR");
  });

  it("fails on a SUMMARY entry whose file is missing", async () => {
    expect(await buildError({ "src/SUMMARY.md": "# Summary\n- [Gone](gone.md)\n" })).toMatch(
      /^src\/SUMMARY\.md:2: chapter file gone\.md does not exist/,
    );
  });

  it("fails on a broken include, with the chapter's line", async () => {
    expect(
      await buildError({ "src/SUMMARY.md": "- [A](a.md)\n", "src/a.md": "# A\n\n{{#include ../missing.ts}}\n" }),
    ).toMatch(/^src\/a\.md:3: .*no such file/);
  });

  it("fails on a link to a missing page or heading, and rewrites good links to .html", async () => {
    expect(await buildError({ "src/SUMMARY.md": "- [A](a.md)\n", "src/a.md": "# A\n\nSee [B](b.md).\n" })).toMatch(
      /^src\/a\.md:3: link to b\.md: b\.md is not a chapter/,
    );
    expect(
      await buildError({
        "src/SUMMARY.md": "- [A](a.md)\n- [B](b.md)\n",
        "src/a.md": "# A\n[x](b.md#nope)\n",
        "src/b.md": "# B\n## Real heading\n",
      }),
    ).toMatch(/^src\/a\.md:2: link to b\.md#nope: b\.md has no heading with id "nope"/);
    const dir = sampleBook({
      "src/SUMMARY.md": "- [A](a.md)\n- [B](b.md)\n",
      "src/a.md": "# A\n[x](b.md#real-heading)\n",
      "src/b.md": "# B\n## Real heading\n",
    });
    const result = await buildBook({ bookDir: dir });
    expect(readFileSync(path.join(result.outDir, "a.html"), "utf8")).toContain('href="b.html#real-heading"');
  });
});

describe("book.toml's [output.html]", () => {
  const chapters = {
    "src/SUMMARY.md": "- [A](a.md)\n- [B](part/b.md)\n",
    "src/a.md": "# A\n",
    "src/part/b.md": "# B\n",
  };
  const links = (html: string) =>
    [...html.matchAll(/<a id="(git-repository-link|edit-link)"[^>]* href="([^"]*)"/g)].map(([, id, href]) => [
      id,
      href,
    ]);

  it("git-repository-url and edit-url-template give the top bar's links, {path} as mdBook fills it", async () => {
    const dir = sampleBook({
      ...chapters,
      "book.toml": [
        "[book]",
        'title = "Sample"',
        "[output.html]",
        'git-repository-url = "https://example.org/me/book"',
        'edit-url-template = "https://example.org/me/book/edit/main/docs/{path}"',
      ].join("\n"),
    });
    const { outDir } = await buildBook({ bookDir: dir });
    const repository = ["git-repository-link", "https://example.org/me/book"];
    expect(links(readFileSync(path.join(outDir, "part/b.html"), "utf8"))).toEqual([
      repository,
      ["edit-link", "https://example.org/me/book/edit/main/docs/src/part/b.md"],
    ]);
    // The whole book on one page has no single source to edit.
    expect(links(readFileSync(path.join(outDir, "print.html"), "utf8"))).toEqual([repository]);
  });

  it("shows neither link when they are unset or empty, as the real book.toml has them", async () => {
    const dir = sampleBook({
      ...chapters,
      "book.toml": '[book]\ntitle = "S"\n[output.html]\ngit-repository-url = ""\n',
    });
    const { outDir } = await buildBook({ bookDir: dir });
    expect(links(readFileSync(path.join(outDir, "a.html"), "utf8"))).toEqual([]);
  });

  it("default-theme and preferred-dark-theme choose the theme for each system mode; an unknown one fails", async () => {
    const themes = async (settings: string) => {
      const dir = sampleBook({ ...chapters, "book.toml": `[book]\ntitle = "S"\n[output.html]\n${settings}\n` });
      const { outDir } = await buildBook({ bookDir: dir });
      return readFileSync(path.join(outDir, "a.html"), "utf8").match(/BOOK_THEMES = (\{[^}]*\})/)![1];
    };
    expect(await themes("")).toBe('{"light":"light","dark":"dark"}');
    expect(await themes('default-theme = "ayu"\npreferred-dark-theme = "rust"')).toBe(
      '{"light":"dark","dark":"light"}',
    );
    expect(
      await buildError({ ...chapters, "book.toml": '[book]\ntitle = "S"\n[output.html]\ndefault-theme = "sepia"\n' }),
    ).toMatch(/^book\.toml:4: default-theme = "sepia": mdBook's themes are light, rust, coal, navy, ayu/);
  });
});

describe("step chapters", () => {
  const steps = readdirSync(path.join(root, "tests")).flatMap((f) => /^step_(\d\d)\.test\.ts$/.exec(f)?.[1] ?? []);

  it("there is a chapter for every step's checks", () => {
    expect(steps.length).toBeGreaterThan(0);
    for (const nn of steps)
      expect(existsSync(path.join(root, "book", "src", `step_${nn}.md`)), `book/src/step_${nn}.md`).toBe(true);
  });

  it.each(steps)("step %s: every section a hint points to is a heading of the chapter", (nn) => {
    const chapter = readFileSync(path.join(root, "book", "src", `step_${nn}.md`), "utf8");
    const headings = new Set([...chapter.matchAll(/^#{2,3} (.+)$/gm)].map((m) => m[1].trim()));
    const sections = new Set(
      [...readFileSync(path.join(root, "tests", `step_${nn}.test.ts`), "utf8").matchAll(/section: "([^"]+)"/g)].map(
        (m) => m[1],
      ),
    );
    expect(sections.size).toBeGreaterThan(0);
    for (const section of sections)
      expect([...headings], `section "${section}" of book/src/step_${nn}.md`).toContain(section);
  });

  it.each(steps)("step %s: the first hint sends the learner to a section of the chapter", (nn) => {
    const chapter = readFileSync(path.join(root, "book", "src", `step_${nn}.md`), "utf8");
    const headings = [...chapter.matchAll(/^#{2,3} (.+)$/gm)].map((m) => m[1].trim());
    const idea = readHints(nn)[0]?.text ?? "";
    const section = new RegExp(`Read: section "([^"]+)" of book/src/step_${nn}\\.md`).exec(idea)?.[1];
    expect(section, `hint 1 of step ${nn} names a section: Read: section "…" of book/src/step_${nn}.md`).toBeDefined();
    expect(headings).toContain(section);
  });

  it.each(steps)("step %s: the chapter includes its skeleton and solution and names its check command", (nn) => {
    const chapter = readFileSync(path.join(root, "book", "src", `step_${nn}.md`), "utf8");
    expect(chapter).toContain(`{{#include ../../steps/step_${nn}.ts}}`);
    expect(chapter).toContain(`{{#include ../../solutions/solution_${nn}.ts}}`);
    expect(chapter).toContain(`**Validation:** \`npm run s${nn}\``);
  });
});

describe("chapters introduce what their tasks use", () => {
  const chapter = (nn: string) => readFileSync(path.join(root, "book", "src", `step_${nn}.md`), "utf8");

  it("step 03 names F.sqrt and says ops take plain numbers; step 04 says modules are called with .forward", () => {
    expect(chapter("03")).toMatch(/`F\.sqrt`/);
    expect(chapter("03")).toMatch(/take a plain number/);
    expect(chapter("04")).toMatch(/this\.c_proj\.forward\(gelu\(this\.c_fc\.forward\(x\)\)\)/);
  });

  it("step 11 shows preNormResidual's signature; step 14 says how to copy out the last row", () => {
    expect(chapter("11")).toMatch(/preNormResidual\(x: Tensor, norm: .*sublayer: \(h: Tensor\) => Tensor\): Tensor/);
    expect(chapter("14")).toMatch(/logits\.get\(0, T - 1, i\)/);
  });

  it("a heading that counts ('Four differences') has that many rows in the table below it", () => {
    const numbers: Record<string, number> = { two: 2, three: 3, four: 4, five: 5 };
    for (const step of STEPS) {
      for (const match of chapter(step.nn).matchAll(/^## (Two|Three|Four|Five) (\w+)\n([\s\S]*?)(?=\n## |$)/gm)) {
        const rows = match[3].split("\n").filter((line) => line.startsWith("|") && !/^\|[-| ]+\|$/.test(line));
        if (rows.length)
          expect(rows.length - 1, `step ${step.nn}: "${match[1]} ${match[2]}" (rows below the table header)`).toBe(
            numbers[match[1].toLowerCase()],
          );
      }
    }
  });
});

describe("Common mistakes", () => {
  it("each chapter lists every classic mistake its fixture is built to catch (and the checker names)", () => {
    const manifest = JSON.parse(readFileSync(path.join(root, "tests", "fixtures", "manifest.json"), "utf8")) as {
      steps: Record<string, { mistakes: { name: string }[] }>;
    };
    for (const [step, entry] of Object.entries(manifest.steps)) {
      const text = readFileSync(path.join(root, "book", "src", `${step}.md`), "utf8");
      const section = /^## Common mistakes\n([\s\S]*?)(?=\n## )/m.exec(text)?.[1] ?? "";
      expect(section, `${step}.md has a "Common mistakes" section`).not.toBe("");
      for (const { name } of entry.mistakes) expect(section, `${step}.md lists "${name}"`).toContain(`| ${name} |`);
    }
  });
});
