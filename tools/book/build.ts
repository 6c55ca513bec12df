// Builds the book in book/ into a static site: one page per SUMMARY chapter with a sidebar,
// previous/next links, light and dark themes, search, copy buttons, math and highlighting.
// The same sources build with `mdbook serve book`; this builder needs only npm packages.
// Every broken reference fails the build with its file and line.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import MiniSearch from "minisearch";
import { parse as parseToml } from "smol-toml";
import { BookError } from "./errors.ts";
import { expandIncludes, includedFiles } from "./include.ts";
import { createRenderer, type RenderedChapter } from "./render.ts";
import { pages, parseSummary, type SummaryItem } from "./summary.ts";

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

/** The search index's options; the browser must load it with the same ones. */
export const SEARCH_OPTIONS = {
  fields: ["title", "text"],
  storeFields: ["title", "page"],
  searchOptions: { boost: { title: 3 }, prefix: true, fuzzy: 0.2 },
};

interface BookConfig {
  title: string;
  srcDir: string;
  outDir: string;
}

function readConfig(bookDir: string): BookConfig {
  const file = path.join(bookDir, "book.toml");
  if (!existsSync(file)) throw new BookError(file, 1, "book.toml not found");
  let toml: { book?: { title?: string; src?: string }; build?: { "build-dir"?: string } };
  try {
    toml = parseToml(readFileSync(file, "utf8")) as typeof toml;
  } catch (error) {
    throw new BookError(
      file,
      (error as { line?: number }).line ?? 1,
      `invalid TOML: ${(error as Error).message.split("\n")[0]}`,
    );
  }
  return {
    title: toml.book?.title ?? "Book",
    srcDir: path.join(bookDir, toml.book?.src ?? "src"),
    outDir: path.join(bookDir, toml.build?.["build-dir"] ?? "build"),
  };
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const htmlPath = (mdPath: string) => mdPath.replace(/\.md$/, ".html");

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

function sidebar(items: SummaryItem[], current: string, root: string): string {
  const entries = items.map((item) => {
    if (item.kind === "part") return `<li class="part-title">${escapeHtml(item.title)}</li>`;
    if (item.kind === "separator") return `<li class="spacer"></li>`;
    const label = `${item.number ? `<strong>${item.number}.</strong> ` : ""}${escapeHtml(item.title)}`;
    if (!item.path) return `<li class="chapter-item draft depth-${item.depth}">${label}</li>`;
    const active = item.path === current ? ` class="active" aria-current="page"` : "";
    return `<li class="chapter-item depth-${item.depth}"><a href="${root}${htmlPath(item.path)}"${active}>${label}</a></li>`;
  });
  return `<ol class="chapters">${entries.join("")}</ol>`;
}

function layout(args: {
  bookTitle: string;
  title: string;
  body: string;
  nav: string;
  root: string;
  prev?: { path: string; title: string };
  next?: { path: string; title: string };
  liveReload: boolean;
}): string {
  const { bookTitle, title, body, nav, root, prev, next } = args;
  const pager = [
    prev
      ? `<a class="prev" rel="prev" href="${root}${htmlPath(prev.path)}">← ${escapeHtml(prev.title)}</a>`
      : "<span></span>",
    next
      ? `<a class="next" rel="next" href="${root}${htmlPath(next.path)}">${escapeHtml(next.title)} →</a>`
      : "<span></span>",
  ].join("");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · ${escapeHtml(bookTitle)}</title>
<script>document.documentElement.className = localStorage.getItem("book-theme") || (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");</script>
<link rel="stylesheet" href="${root}katex/katex.min.css">
<link rel="stylesheet" href="${root}book.css">
</head>
<body>
<nav id="sidebar" aria-label="Chapters"><a class="book-title" href="${root}index.html">${escapeHtml(bookTitle)}</a>${nav}</nav>
<div id="page">
<header id="topbar">
<input id="search" type="search" placeholder="Search the book…" aria-label="Search the book" autocomplete="off">
<button id="theme-toggle" type="button" aria-label="Toggle dark mode" title="Toggle dark mode">◐</button>
<div id="search-results" hidden></div>
</header>
<main id="content">
${body}
</main>
<nav class="pager" aria-label="Previous and next chapter">${pager}</nav>
</div>
<script>window.BOOK_ROOT = ${JSON.stringify(root)}; window.BOOK_LIVE_RELOAD = ${args.liveReload}; window.BOOK_SEARCH_OPTIONS = ${JSON.stringify(SEARCH_OPTIONS)};</script>
<script src="${root}minisearch.js"></script>
<script src="${root}book.js"></script>
</body>
</html>
`;
}

export async function buildBook(options: BuildOptions): Promise<BuildResult> {
  const started = performance.now();
  const config = readConfig(options.bookDir);
  const outDir = options.outDir ?? config.outDir;
  const summaryFile = path.join(config.srcDir, "SUMMARY.md");
  if (!existsSync(summaryFile)) throw new BookError(summaryFile, 1, "SUMMARY.md not found");
  const items = parseSummary(readFileSync(summaryFile, "utf8"), summaryFile);
  const chapters = pages(items);
  if (chapters.length === 0) throw new BookError(summaryFile, 1, "SUMMARY.md lists no chapter with a file");
  const { rendered, inputs } = await renderChapters(chapters, config.srcDir, summaryFile);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const search = new MiniSearch(SEARCH_OPTIONS);
  chapters.forEach((chapter, i) => {
    const page = htmlPath(chapter.path);
    const root = path.posix
      .relative(path.posix.dirname(page), ".")
      .replace(/^\.$/, "")
      .replace(/([^/])$/, "$1/");
    const { html, sections } = rendered.get(chapter.path)!;
    const out = layout({
      bookTitle: config.title,
      title: chapter.title,
      body: html,
      nav: sidebar(items, chapter.path, root),
      root,
      prev: chapters[i - 1],
      next: chapters[i + 1],
      liveReload: options.liveReload ?? false,
    });
    mkdirSync(path.dirname(path.join(outDir, page)), { recursive: true });
    writeFileSync(path.join(outDir, page), out);
    if (i === 0) writeFileSync(path.join(outDir, "index.html"), out);
    sections.forEach((section, s) => {
      const title =
        section.heading && section.heading !== chapter.title ? `${chapter.title} › ${section.heading}` : chapter.title;
      search.add({ id: `${page}#${s}`, page: section.id ? `${page}#${section.id}` : page, title, text: section.text });
    });
  });
  writeFileSync(path.join(outDir, "searchindex.json"), JSON.stringify(search));
  copyAssets(config.srcDir, outDir);
  const allInputs = [path.join(options.bookDir, "book.toml"), summaryFile, ...inputs];
  return { outDir, pages: chapters.length, milliseconds: performance.now() - started, inputs: [...new Set(allInputs)] };
}

/** Every chapter rendered, its links checked; and the files it read (chapters and their includes). */
async function renderChapters(chapters: ReturnType<typeof pages>, srcDir: string, summaryFile: string) {
  const render = await createRenderer();
  const inputs: string[] = [];
  const sources = new Map<string, string>();
  const rendered = new Map<string, RenderedChapter>();
  for (const chapter of chapters) {
    const file = path.join(srcDir, chapter.path);
    if (!existsSync(file))
      throw new BookError(summaryFile, chapter.line, `chapter file ${chapter.path} does not exist`);
    const source = readFileSync(file, "utf8");
    inputs.push(file, ...includedFiles(source, file));
    sources.set(chapter.path, source);
    rendered.set(chapter.path, render(expandIncludes(source, file)));
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
