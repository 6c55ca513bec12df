// The page around a chapter: the sidebar (part labels, chapters numbered by step), the top bar
// (sidebar toggle, the book's title, search, print, the repository and "Suggest an edit" when
// book.toml gives their addresses, theme) and previous/next links.
import { roman, type SummaryItem } from "./summary.ts";

/** The search index's options; the browser must load it with the same ones. */
export const SEARCH_OPTIONS = {
  fields: ["title", "text"],
  storeFields: ["title", "page", "teaser"],
  searchOptions: { boost: { title: 3 }, prefix: true, fuzzy: 0.2 },
};

export const escapeHtml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
export const htmlPath = (mdPath: string) => mdPath.replace(/\.md$/, ".html");

/** A chapter as the reader sees its name: "17. Cross-entropy loss", or just the title when unnumbered. */
export const numbered = (chapter: { title: string; number: string | null }) =>
  chapter.number ? `${chapter.number}. ${chapter.title}` : chapter.title;

export function sidebar(items: SummaryItem[], current: string, root: string): string {
  let part = 0;
  const entries = items.map((item) => {
    if (item.kind === "part")
      return `<li class="part-title"><span class="part-number">Part ${roman(++part)}</span> ${escapeHtml(item.title)}</li>`;
    if (item.kind === "separator") return `<li class="spacer"></li>`;
    const label = `${item.number ? `<strong>${item.number}.</strong> ` : ""}${escapeHtml(item.title)}`;
    if (!item.path) return `<li class="chapter-item draft depth-${item.depth}">${label}</li>`;
    const active = item.path === current ? ` class="active" aria-current="page"` : "";
    return `<li class="chapter-item depth-${item.depth}"><a href="${root}${htmlPath(item.path)}"${active}>${label}</a></li>`;
  });
  return `<ol class="chapters">${entries.join("")}</ol>`;
}

type Link = { path: string; title: string; number: string | null };

function pager(root: string, prev?: Link, next?: Link): string {
  const link = (rel: string, to: Link, text: string) =>
    `<a class="${rel}" rel="${rel}" href="${root}${htmlPath(to.path)}">${text}</a>`;
  return [
    prev ? link("prev", prev, `← ${escapeHtml(numbered(prev))}`) : "<span></span>",
    next ? link("next", next, `${escapeHtml(numbered(next))} →`) : "<span></span>",
  ].join("");
}

/** This book's two themes, and which of them stands for each of mdBook's built-in ones. */
export type Theme = "light" | "dark";
export const MDBOOK_THEMES: Record<string, Theme> = {
  light: "light",
  rust: "light",
  coal: "dark",
  navy: "dark",
  ayu: "dark",
};

/**
 * The theme is applied before the first paint: the reader's choice, else the one book.toml gives
 * for the system's mode (default-theme, preferred-dark-theme); book.js follows the system's changes.
 */
const themeScript = (themes: Site["themes"]) =>
  `<script>window.BOOK_THEMES = ${JSON.stringify(themes)}; document.documentElement.className = localStorage.getItem("book-theme") || BOOK_THEMES[matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light"];</script>`;

/** What every page shows the same: book.toml's title, and the [output.html] settings a reader sees. */
export interface Site {
  bookTitle: string;
  liveReload: boolean;
  /** The theme for a system in light mode and for one in dark mode. */
  themes: { light: Theme; dark: Theme };
  /** git-repository-url: a link in the top bar, when set. */
  repositoryUrl: string | null;
}

export interface PageArgs extends Site {
  title: string;
  body: string;
  nav: string;
  root: string;
  prev?: Link;
  next?: Link;
  /** Where to edit this page's source (edit-url-template with the chapter's path), for a chapter. */
  editUrl?: string;
  /** Extra classes on <body>, e.g. "print" for the whole book on one page. */
  bodyClass?: string;
}

export function layout(args: PageArgs): string {
  const { bookTitle, title, body, nav, root } = args;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · ${escapeHtml(bookTitle)}</title>
${themeScript(args.themes)}
<link rel="icon" href="${root}favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${root}katex/katex.min.css">
<link rel="stylesheet" href="${root}book.css">
</head>
<body${args.bodyClass ? ` class="${args.bodyClass}"` : ""}>
<nav id="sidebar" aria-label="Chapters"><a class="book-title" href="${root}index.html">${escapeHtml(bookTitle)}</a>${nav}</nav>
<div id="page">
<header id="topbar">
<button id="sidebar-toggle" type="button" aria-label="Show or hide the chapters" aria-controls="sidebar" aria-expanded="false" title="Chapters">☰</button>
<a id="topbar-title" href="${root}index.html">${escapeHtml(bookTitle)}</a>
<input id="search" type="search" placeholder="Search…" aria-label="Search the book" autocomplete="off">
<a id="print-link" href="${root}print.html" aria-label="The whole book on one page, to print" title="Print the book"><svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><path fill="currentColor" d="M4 1h8v4h1.5A1.5 1.5 0 0 1 15 6.5V12h-3v3H4v-3H1V6.5A1.5 1.5 0 0 1 2.5 5H4zm1.5 1.5V5h5V2.5zM5.5 10v3.5h5V10z"/></svg></a>
${topbarLink("git-repository-link", args.repositoryUrl, "Git repository", REPOSITORY_ICON)}
${topbarLink("edit-link", args.editUrl, "Suggest an edit", EDIT_ICON)}
<button id="theme-toggle" type="button" aria-label="Toggle dark mode" title="Toggle dark mode">◐</button>
<div id="search-results" hidden></div>
</header>
<main id="content">
${body}
</main>
<nav class="pager" aria-label="Previous and next chapter">${pager(root, args.prev, args.next)}</nav>
</div>
<script>window.BOOK_ROOT = ${JSON.stringify(root)}; window.BOOK_LIVE_RELOAD = ${args.liveReload}; window.BOOK_SEARCH_OPTIONS = ${JSON.stringify(SEARCH_OPTIONS)};</script>
<script src="${root}minisearch.js"></script>
<script src="${root}book.js"></script>
</body>
</html>
`;
}

const icon = (shapes: string) =>
  `<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linejoin="round">${shapes}</svg>`;
/** A branch: mdBook shows a FontAwesome icon (git-repository-icon); this book draws its own, one for every host. */
const REPOSITORY_ICON = icon(
  '<circle cx="4" cy="3.5" r="1.5"/><circle cx="4" cy="12.5" r="1.5"/><circle cx="12" cy="3.5" r="1.5"/><path d="M4 5v6M12 5c0 4-8 2-8 6"/>',
);
const EDIT_ICON = icon('<path d="M10.5 2.5l3 3-8 8h-3v-3zM9 4l3 3"/>');

/** An icon link in the top bar, or nothing when book.toml does not set its address. */
const topbarLink = (id: string, href: string | null | undefined, label: string, svg: string) =>
  href
    ? `<a id="${id}" class="topbar-button" href="${escapeHtml(href)}" title="${label}" aria-label="${label}">${svg}</a>`
    : "";
