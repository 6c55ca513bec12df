// SVG pictures made in Node: Observable Plot draws into linkedom's document (no browser), and
// `figure` frames a plot with a caption line that says where its numbers came from.
import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";

const { document } = parseHTML("<!doctype html><html><body></body></html>");

/** A plot as SVG text. Options as Plot.plot's; no title or caption (those make an HTML <figure>). */
export function plotSvg(options: Plot.PlotOptions): string {
  const node = Plot.plot({ ...options, document }) as unknown as Element;
  return node.outerHTML;
}

const escapeXml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A standalone .svg file: the picture, and under it a caption in small grey type. */
export function figure(inner: string, width: number, height: number, caption: string): string {
  const total = height + 24;
  const full = Math.max(width, Math.ceil(caption.length * 6.2) + 20); // room for the caption (11px type)
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${full} ${total}" width="${full}" height="${total}" font-family="system-ui, sans-serif">`,
    `<rect width="${full}" height="${total}" fill="white"/>`,
    inner.replace(/^<svg /, `<svg x="${(full - width) / 2}" y="0" `),
    `<text x="${full / 2}" y="${total - 8}" text-anchor="middle" font-size="11" fill="#666">${escapeXml(caption)}</text>`,
    "</svg>",
    "",
  ].join("\n");
}

/** Token text for an axis: visible spaces and newlines, shortened. */
export function tokenLabel(text: string): string {
  const shown = text.replace(/ /g, "·").replace(/\n/g, "⏎");
  return shown.length > 12 ? `${shown.slice(0, 11)}…` : shown;
}

export type FigureOptions = Plot.PlotOptions & { width: number; height: number };

/** A plot framed as a figure with its caption. */
export function plotFigure(options: FigureOptions, caption: string): string {
  return figure(plotSvg(options), options.width, options.height, caption);
}
