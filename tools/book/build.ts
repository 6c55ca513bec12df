// Builds the book in book/ into a static site: one page per SUMMARY chapter with a sidebar,
// previous/next links, light and dark themes, search, copy buttons, math and highlighting.
// The same sources build with `mdbook serve book`; this builder needs only npm packages, and reads
// the [output.html] settings of book.toml that a reader sees (themes, repository and edit links).
// Every broken reference fails the build with its file and line.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import MiniSearch from "minisearch";
import { parse as parseToml } from "smol-toml";
import { BookError } from "./errors.ts";
import { expandIncludes, includedFiles } from "./include.ts";
import {
  escapeHtml,
  htmlPath,
  layout,
  MDBOOK_THEMES,
  numbered,
  SEARCH_OPTIONS,
  type Site,
  sidebar,
  type Theme,
} from "./layout.ts";
import { createRenderer, type RenderedChapter } from "./render.ts";
import { numberByStep, pages, parseSummary, type SummaryItem, stepOf } from "./summary.ts";

const require = createRequire(import.meta.url);
const ASSETS = fileURLToPath(new URL("assets/", import.meta.url));

export interface BuildOptions {
  /** The folder holding book.toml. */
  bookDir: string;
  /** Where the site goes (default: book.toml's build-dir, else book/build). */
  outDir?: string;
  /** Adds the script that reloads the page when the server says so. */
  liveReload?: boolean;
}

export interface BuildResult {
  outDir: string;
  pages: number;
  milliseconds: number;
  /** Every source file the build read, for the file watcher. */
  inputs: string[];
}

export { SEARCH_OPTIONS };

interface BookConfig {
  title: string;
  srcDir: string;
  outDir: string;
  themes: Site["themes"];
  repositoryUrl: string | null;
  /** A chapter's "Suggest an edit" address, when book.toml has an edit-url-template. */
  editUrl: (chapterPath: string) => string | undefined;
}

/** The [output.html] settings this builder reads as mdBook does; the others are mdBook's alone. */
interface HtmlToml {
  "default-theme"?: string;
  "preferred-dark-theme"?: string;
  "git-repository-url"?: string;
  "edit-url-template"?: string;
}

function readConfig(bookDir: string): BookConfig {
  const file = path.join(bookDir, "book.toml");
  if (!existsSync(file)) throw new BookError(file, 1, "book.toml not found");
  const text = readFileSync(file, "utf8");
  let toml: {
    book?: { title?: string; src?: string };
    build?: { "build-dir"?: string };
    output?: { html?: HtmlToml };
  };
  try {
    toml = parseToml(text) as typeof toml;
  } catch (error) {
    throw new BookError(
      file,
      (error as { line?: number }).line ?? 1,
      `invalid TOML: ${(error as Error).message.split("\n")[0]}`,
    );
  }
  const html = toml.output?.html ?? {};
  const theme = (key: "default-theme" | "preferred-dark-theme", fallback: string): Theme => {
    const name = html[key] ?? fallback;
    if (Object.hasOwn(MDBOOK_THEMES, name)) return MDBOOK_THEMES[name];
    const line = text.split("\n").findIndex((l) => l.trimStart().startsWith(key)) + 1;
    const known = Object.keys(MDBOOK_THEMES).join(", ");
    throw new BookError(file, line || 1, `${key} = ${JSON.stringify(name)}: mdBook's themes are ${known}`);
  };
  const src = toml.book?.src ?? "src";
  // mdBook's {path} is the chapter's file from the book's folder: src/step_09.md.
  const template = html["edit-url-template"] || null;
  return {
    title: toml.book?.title ?? "Book",
    srcDir: path.join(bookDir, src),
    outDir: path.join(bookDir, toml.build?.["build-dir"] ?? "build"),
    // mdBook's defaults: light, and navy when the system is in dark mode.
    themes: { light: theme("default-theme", "light"), dark: theme("preferred-dark-theme", "navy") },
    repositoryUrl: html["git-repository-url"] || null,
    editUrl: (chapterPath) => template?.replaceAll("{path}", path.posix.join(src, chapterPath)),
  };
}

/** Checks every Markdown link in a chapter's own source: the page must exist, and so must the heading. */
function checkLinks(source: string, file: string, srcDir: string, rendered: Map<string, RenderedChapter>): void {
  const here = path.relative(srcDir, file);
  source.split("\n").forEach((text, index) => {
    if (/^\s*(```|\{\{#include)/.test(text)) return;
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target)) continue;
      const [pathPart, fragment] = target.split("#");
      const page = pathPart === "" ? here : path.normalize(path.join(path.dirname(here), pathPart));
      if (page.endsWith(".md")) {
        const chapter = rendered.get(page);
        if (!chapter) throw new BookError(file, index + 1, `link to ${target}: ${page} is not a chapter in SUMMARY.md`);
        if (fragment && !chapter.ids.has(fragment))
          throw new BookError(file, index + 1, `link to ${target}: ${page} has no heading with id "${fragment}"`);
      } else if (pathPart && !existsSync(path.join(srcDir, page))) {
        throw new BookError(file, index + 1, `link to ${target}: no such file ${page}`);
      }
    }
  });
}

export async function buildBook(options: BuildOptions): Promise<BuildResult> {
  const started = performance.now();
  const config = readConfig(options.bookDir);
  const outDir = options.outDir ?? config.outDir;
  const summaryFile = path.join(config.srcDir, "SUMMARY.md");
  if (!existsSync(summaryFile)) throw new BookError(summaryFile, 1, "SUMMARY.md not found");
  const items = numberByStep(parseSummary(readFileSync(summaryFile, "utf8"), summaryFile));
  const chapters = pages(items);
  if (chapters.length === 0) throw new BookError(summaryFile, 1, "SUMMARY.md lists no chapter with a file");
  const { rendered, inputs } = await renderChapters(chapters, config.srcDir, summaryFile);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const site = {
    items,
    bookTitle: config.title,
    liveReload: options.liveReload ?? false,
    themes: config.themes,
    repositoryUrl: config.repositoryUrl,
  };
  const search = new MiniSearch(SEARCH_OPTIONS);
  chapters.forEach((chapter, i) => {
    const { html, sections } = rendered.get(chapter.path)!;
    const page = htmlPath(chapter.path);
    const out = layout({
      ...site,
      title: numbered(chapter),
      body: withNumber(html, chapter.number),
      nav: sidebar(items, chapter.path, rootOf(page)),
      root: rootOf(page),
      prev: chapters[i - 1],
      next: chapters[i + 1],
      editUrl: config.editUrl(chapter.path),
    });
    mkdirSync(path.dirname(path.join(outDir, page)), { recursive: true });
    writeFileSync(path.join(outDir, page), out);
    if (i === 0) writeFileSync(path.join(outDir, "index.html"), out);
    sections.forEach((section, s) => {
      const name = numbered(chapter);
      const title = section.heading && section.heading !== chapter.title ? `${name} › ${section.heading}` : name;
      const teaser = section.text.replace(/\s+/g, " ").trim().slice(0, 140);
      const id = `${page}#${s}`;
      search.add({ id, page: section.id ? `${page}#${section.id}` : page, title, text: section.text, teaser });
    });
  });
  writeFileSync(path.join(outDir, "searchindex.json"), JSON.stringify(search));
  writeExtraPages(outDir, site, chapters, rendered);
  copyAssets(config.srcDir, outDir);
  const allInputs = [path.join(options.bookDir, "book.toml"), summaryFile, ...inputs];
  return { outDir, pages: chapters.length, milliseconds: performance.now() - started, inputs: [...new Set(allInputs)] };
}

/** The way from a page up to the book's root: "" at the top, "../" one folder down. */
const rootOf = (page: string) =>
  path.posix
    .relative(path.posix.dirname(page), ".")
    .replace(/^\.$/, "")
    .replace(/([^/])$/, "$1/");

/** The chapter's number in front of its first heading, as in the sidebar: "17. Cross-entropy loss". */
function withNumber(html: string, number: string | null): string {
  if (!number) return html;
  return html.replace(/<h1([^>]*)>/, `<h1$1><span class="chapter-number">${escapeHtml(number)}.</span> `);
}

/**
 * print.html: every chapter on one page, for printing (mdBook's print page); and 404.html for
 * pages that are not there, whose links start at the site's root because it answers any path.
 */
function writeExtraPages(
  outDir: string,
  site: Site & { items: SummaryItem[] },
  chapters: ReturnType<typeof pages>,
  rendered: Map<string, RenderedChapter>,
): void {
  const all = chapters.map(
    (c) =>
      `<section class="print-chapter" id="chapter-${c.path.replace(/\W/g, "-")}">${withNumber(rendered.get(c.path)!.html, c.number)}</section>`,
  );
  const print = { ...site, title: "The whole book", body: all.join("\n"), nav: sidebar(site.items, "", ""), root: "" };
  writeFileSync(path.join(outDir, "print.html"), layout({ ...print, bodyClass: "print" }));
  const missing = `<h1>Page not found</h1>\n<p>There is no page at this address. Try the search box, or start from <a href="/index.html">the introduction</a>.</p>`;
  const notFound = { ...site, title: "Page not found", body: missing, nav: sidebar(site.items, "", "/"), root: "/" };
  writeFileSync(path.join(outDir, "404.html"), layout(notFound));
}

/** Every chapter rendered, its links checked; and the files it read (chapters and their includes). */
async function renderChapters(chapters: ReturnType<typeof pages>, srcDir: string, summaryFile: string) {
  const render = await createRenderer();
  const inputs: string[] = [];
  const sources = new Map<string, string>();
  const rendered = new Map<string, RenderedChapter>();
  const steps = new Map<number, string>();
  for (const { path: page } of chapters) if (stepOf(page) !== null) steps.set(stepOf(page)!, page);
  for (const chapter of chapters) {
    const file = path.join(srcDir, chapter.path);
    if (!existsSync(file))
      throw new BookError(summaryFile, chapter.line, `chapter file ${chapter.path} does not exist`);
    const source = readFileSync(file, "utf8");
    inputs.push(file, ...includedFiles(source, file));
    sources.set(chapter.path, source);
    rendered.set(chapter.path, render(expandIncludes(source, file), { page: chapter.path, steps }));
  }
  for (const [chapterPath, source] of sources) checkLinks(source, path.join(srcDir, chapterPath), srcDir, rendered);
  return { rendered, inputs };
}

/** The site's own files, KaTeX's fonts and styles, the search library, and the book's images and figures. */
function copyAssets(srcDir: string, outDir: string): void {
  cpSync(ASSETS, outDir, { recursive: true });
  cpSync(path.dirname(require.resolve("katex/dist/katex.min.css")), path.join(outDir, "katex"), {
    recursive: true,
    filter: (f) => !/\.(m?js|ts)$/.test(f),
  });
  // minisearch does not export its browser build; it sits beside the CommonJS one.
  cpSync(path.join(path.dirname(require.resolve("minisearch")), "../umd/index.js"), path.join(outDir, "minisearch.js"));
  for (const folder of ["images", "figures"]) {
    const from = path.join(srcDir, folder);
    if (existsSync(from)) cpSync(from, path.join(outDir, folder), { recursive: true });
  }
}
