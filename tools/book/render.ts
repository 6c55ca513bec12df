// Markdown → HTML for one chapter: GitHub-flavoured Markdown with raw HTML (for <details>),
// heading ids, TypeScript highlighting at build time (Shiki, light and dark colours), math at
// build time (KaTeX), and links to other chapters rewritten from .md to .html.
import shiki from "@shikijs/markdown-it";
import katex from "katex";
import MarkdownIt from "markdown-it";
import anchor from "markdown-it-anchor";
import texmath from "markdown-it-texmath";

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

export type Renderer = (markdown: string) => RenderedChapter;

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

export async function createRenderer(): Promise<Renderer> {
  const md = new MarkdownIt({ html: true, linkify: false, typographer: false });
  md.use(anchor, { slugify, tabIndex: false });
  md.use(texmath, { engine: katex, delimiters: "dollars", katexOptions: { throwOnError: false } });
  md.use(
    await shiki({
      themes: { light: "github-light", dark: "github-dark" },
      langs: ["typescript", "javascript", "json", "shellscript", "python", "toml"],
      langAlias: { ts: "typescript", sh: "shellscript", bash: "shellscript" },
      // "text" is Shiki's built-in plain language: code blocks without a language stay plain.
      fallbackLanguage: "text" as "typescript",
      defaultLanguage: "text" as "typescript",
    }),
  );
  // Links to other chapters: step_02.md#x → step_02.html#x (external links stay as they are).
  const defaultLinkOpen =
    md.renderer.rules.link_open ?? ((tokens, i, options, _env, self) => self.renderToken(tokens, i, options));
  md.renderer.rules.link_open = (tokens, i, options, env, self) => {
    const href = String(tokens[i].attrGet("href") ?? "");
    if (!/^[a-z]+:/i.test(href)) tokens[i].attrSet("href", href.replace(/\.md(#|$)/, ".html$1"));
    return defaultLinkOpen(tokens, i, options, env, self);
  };

  return (markdown) => {
    const tokens = md.parse(mdbookMath(markdown), {});
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
    return { html: md.renderer.render(tokens, md.options, {}), ids, sections };
  };
}
