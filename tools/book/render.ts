// Markdown → HTML for one chapter: GitHub-flavoured Markdown with raw HTML (for <details>),
// heading ids, TypeScript highlighting at build time (Shiki, light and dark colours), math at
// build time (KaTeX), links to other chapters rewritten from .md to .html, "step NN" in prose
// linked to that step's chapter, and an image followed by an italic caption made a <figure>.
import path from "node:path";
import shiki from "@shikijs/markdown-it";
import katex from "katex";
import MarkdownIt, { type StateCore, type Token } from "markdown-it";
import anchor from "markdown-it-anchor";
import texmath from "markdown-it-texmath";
import type { CodeToHastOptions } from "shiki";

/** Heading ids as mdBook makes them: lower case, spaces to dashes, punctuation dropped. */
export function slugify(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/<[^>]*>/g, "")
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

export interface RenderedChapter {
  html: string;
  /** Every heading's id, for checking links into the page. */
  ids: Set<string>;
  /** Search documents: one per section (the text under each heading). */
  sections: { id: string; heading: string; text: string }[];
}

/** Where the chapter being rendered sits, and where each step's chapter is (paths in src/). */
export interface RenderContext {
  page: string;
  steps: ReadonlyMap<number, string>;
}

export type Renderer = (markdown: string, context?: RenderContext) => RenderedChapter;

const STEP_MENTION = /\b([Ss]tep (\d{1,2}))\b/g;

/**
 * "step 08" in a paragraph becomes a link to step 8's chapter, so the sources need no hand-made
 * links (and stay plain for mdBook). Code spans, headings, existing links and a chapter's
 * mentions of itself are left alone.
 */
function linkSteps(state: StateCore): void {
  const context = state.env as Partial<RenderContext>;
  if (!context.steps?.size || context.page === undefined) return;
  state.tokens.forEach((block, b) => {
    if (block.type !== "inline" || state.tokens[b - 1]?.type === "heading_open" || !block.children) return;
    let inLink = 0;
    block.children = block.children.flatMap((token) => {
      if (token.type === "link_open") inLink++;
      if (token.type === "link_close") inLink--;
      return token.type === "text" && !inLink ? stepLinks(state, token, context as RenderContext) : [token];
    });
  });
}

function stepLinks(state: StateCore, token: Token, context: RenderContext): Token[] {
  const out: Token[] = [];
  let last = 0;
  const text = (content: string) => Object.assign(new state.Token("text", "", 0), { content });
  for (const match of token.content.matchAll(STEP_MENTION)) {
    const target = context.steps.get(Number(match[2]));
    if (!target || target === context.page) continue;
    const open = new state.Token("link_open", "a", 1);
    const href = path.posix.relative(path.posix.dirname(context.page), target).replace(/\.md$/, ".html");
    open.attrs = [["href", href]];
    out.push(
      text(token.content.slice(last, match.index)),
      open,
      text(match[1]),
      new state.Token("link_close", "a", -1),
    );
    last = match.index + match[0].length;
  }
  if (last === 0) return [token];
  out.push(text(token.content.slice(last)));
  return out.filter((t) => t.type !== "text" || t.content !== "");
}

/** Whether an inline token is one italic run from start to end: *a caption*. */
function wholeItalic(children: Token[]): boolean {
  if (children[0]?.type !== "em_open" || children.at(-1)?.type !== "em_close") return false;
  let depth = 0;
  return children.every((t, i) => {
    depth += t.type === "em_open" ? 1 : t.type === "em_close" ? -1 : 0;
    return depth > 0 || i === children.length - 1;
  });
}

/**
 * A paragraph holding only an image, followed by a paragraph in italics, is a figure and its
 * caption: <figure><img><figcaption>…</figcaption></figure>. In mdBook the same source shows
 * the image with an italic line under it.
 */
function makeFigures(state: StateCore): void {
  const t = state.tokens;
  for (let i = 0; i + 5 < t.length; i++) {
    const image = t[i + 1].children ?? [];
    const caption = t[i + 4].children ?? [];
    const shape = [t[i], t[i + 2], t[i + 3], t[i + 5]].map((x) => x.type).join(" ");
    if (shape !== "paragraph_open paragraph_close paragraph_open paragraph_close") continue;
    if (t[i + 1].type !== "inline" || image.length !== 1 || image[0].type !== "image" || !wholeItalic(caption))
      continue;
    t[i].tag = "figure";
    Object.assign(t[i + 2], { type: "figcaption_open", tag: "figcaption", nesting: 1 });
    t[i + 4].children = caption.slice(1, -1);
    t[i + 5].tag = "figcaption";
    const close = new state.Token("figure_close", "figure", -1);
    close.block = true;
    t.splice(i + 3, 1);
    t.splice(i + 5, 0, close);
  }
}

/**
 * mdBook's MathJax delimiters, \\( … \\) inline and \\[ … \\] for display (doubled because
 * Markdown eats one backslash), become the $ … $ / $$ … $$ that KaTeX's plugin reads, so the
 * same sources render with `mdbook serve` and here. Code spans and blocks are left alone.
 */
export function mdbookMath(markdown: string): string {
  return markdown
    .split(/(^```[\s\S]*?^```|`[^`\n]*`)/m)
    .map((part, i) =>
      i % 2
        ? part
        : part
            .replace(/\\\\\[([\s\S]+?)\\\\\]/g, (_m, tex: string) => `$$${tex}$$`)
            .replace(/\\\\\(([\s\S]+?)\\\\\)/g, (_m, tex: string) => `$${tex}$`),
    )
    .join("");
}

const SHIKI: Parameters<typeof shiki>[0] & Pick<CodeToHastOptions, "colorReplacements"> = {
  themes: { light: "github-light", dark: "github-dark" },
  // github-dark's comments (#6a737d on #24292e) are 3.05:1, below WCAG's 4.5:1 for text;
  // the plugin hands these options on to Shiki, whose replacements are keyed by theme.
  colorReplacements: { "github-dark": { "#6a737d": "#959da5" } },
  langs: ["typescript", "javascript", "json", "shellscript", "python", "toml"],
  langAlias: { ts: "typescript", sh: "shellscript", bash: "shellscript" },
  // "text" is Shiki's built-in plain language: code blocks without a language stay plain.
  fallbackLanguage: "text" as "typescript",
  defaultLanguage: "text" as "typescript",
  transformers: [
    {
      // Lines become blocks that carry their indentation (--indent), so that on a wide screen a
      // line longer than the box (a long message or comment) wraps under itself, not at column 0.
      name: "hanging-indent",
      line(node) {
        const text = toText(node);
        node.properties.style = `--indent:${text.length - text.trimStart().length}ch`;
      },
      code(node) {
        node.children = node.children.filter((child) => child.type !== "text" || child.value !== "\n");
      },
    },
  ],
};

/** The text inside a Shiki (HAST) node. */
function toText(node: { type: string; value?: string; children?: unknown[] }): string {
  if (node.type === "text") return node.value ?? "";
  return (node.children ?? []).map((c) => toText(c as typeof node)).join("");
}

export async function createRenderer(): Promise<Renderer> {
  const md = new MarkdownIt({ html: true, linkify: false, typographer: false });
  // Each heading links to itself (mdBook's way); the stylesheet adds a "#" on hover.
  md.use(anchor, { slugify, tabIndex: false, permalink: anchor.permalink.headerLink({ safariReaderFix: true }) });
  md.core.ruler.push("step_links", linkSteps);
  md.core.ruler.push("figures", makeFigures);
  md.use(texmath, { engine: katex, delimiters: "dollars", katexOptions: { throwOnError: false } });
  md.use(await shiki(SHIKI));
  // Links to other chapters: step_02.md#x → step_02.html#x (external links stay as they are).
  const defaultLinkOpen =
    md.renderer.rules.link_open ?? ((tokens, i, options, _env, self) => self.renderToken(tokens, i, options));
  md.renderer.rules.link_open = (tokens, i, options, env, self) => {
    const href = String(tokens[i].attrGet("href") ?? "");
    if (!/^[a-z]+:/i.test(href)) tokens[i].attrSet("href", href.replace(/\.md(#|$)/, ".html$1"));
    return defaultLinkOpen(tokens, i, options, env, self);
  };

  return (markdown, context) => {
    const env = context ?? {};
    const tokens = md.parse(mdbookMath(markdown), env);
    const ids = new Set<string>();
    const sections: RenderedChapter["sections"] = [];
    let current = { id: "", heading: "", text: "" };
    tokens.forEach((token, i) => {
      if (token.type === "heading_open") {
        const id = String(token.attrGet("id") ?? "");
        ids.add(id);
        if (current.heading || current.text.trim()) sections.push(current);
        current = { id, heading: tokens[i + 1].content, text: "" };
      } else if (token.type === "inline" && tokens[i - 1]?.type !== "heading_open") current.text += `${token.content} `;
      else if (token.type === "fence" || token.type === "code_block") current.text += `${token.content} `;
    });
    sections.push(current);
    return { html: md.renderer.render(tokens, md.options, env), ids, sections };
  };
}
