// The attention maps of a prompt as one picture: a row of heads for every layer, each a
// heatmap of queries (rows: the token reading) by keys (columns: the earlier token it reads). Used by the book, `--attention FILE.svg` and the playground.
import * as Plot from "@observablehq/plot";
import type { AttentionMaps } from "./inspect.ts";
import { figure, plotSvg } from "./svg.ts";

export function attentionSvg(maps: AttentionMaps, labels: readonly string[], caption: string): string {
  const cells = maps.flatMap((layer, l) =>
    layer.flatMap((head, h) =>
      head.flatMap((row, q) => row.map((weight, k) => ({ layer: `layer ${l}`, head: `head ${h}`, q, k, weight }))),
    ),
  );
  const nHead = maps[0]?.length ?? 1;
  const T = labels.length;
  const cell = Math.max(4, Math.min(14, Math.floor(900 / (nHead * T))));
  const width = 150 + nHead * (T * cell + 12);
  const height = 90 + maps.length * (T * cell + 12);
  const tick = (i: number) => labels[i] ?? String(i);
  const inner = plotSvg({
    width,
    height,
    marginLeft: 80,
    marginRight: 70,
    marginTop: 30,
    marginBottom: 60,
    padding: 0,
    x: { label: null, tickFormat: tick, tickRotate: -60, axis: T <= 24 ? "bottom" : null },
    y: { label: null, tickFormat: tick, axis: T <= 24 ? "left" : null },
    fx: { label: null },
    fy: { label: null },
    color: { scheme: "blues", domain: [0, 1], legend: false },
    marks: [Plot.cell(cells, { x: "k", y: "q", fx: "head", fy: "layer", fill: "weight", inset: 0 })],
  });
  return figure(inner, width, height, caption);
}

/**
 * One query's attention, every layer and head: a row per (layer, head), a column per key. What
 * the model read when it chose the token after position `query`.
 */
export function queryAttentionSvg(
  maps: AttentionMaps,
  query: number,
  labels: readonly string[],
  caption: string,
): string {
  const cells = maps.flatMap((layer, l) =>
    layer.flatMap((head, h) => head[query].slice(0, query + 1).map((weight, k) => ({ row: `L${l} H${h}`, k, weight }))),
  );
  const rows = maps.length * (maps[0]?.length ?? 1);
  const T = query + 1;
  const cell = Math.max(8, Math.min(28, Math.floor(640 / T)));
  const width = 80 + T * cell + 20;
  const height = 40 + rows * Math.min(cell, 14) + 70;
  const inner = plotSvg({
    width,
    height,
    marginLeft: 70,
    marginBottom: 84,
    padding: 0,
    // Axis names, so a reader need not guess which way the map reads: the query is the clicked
    // token (in the caption), the columns are the keys it read.
    x: {
      label: "key tokens: what the query read →",
      labelAnchor: "left",
      labelOffset: 80,
      tickFormat: (i: number) => labels[i] ?? String(i),
      tickRotate: -60,
    },
    y: { label: "layer, head ↓", labelAnchor: "top", domain: [...new Set(cells.map((c) => c.row))] },
    color: { scheme: "blues", domain: [0, 1] },
    marks: [
      Plot.cell(cells, {
        x: "k",
        y: "row",
        fill: "weight",
        inset: 0,
        title: (d: { weight: number }) => d.weight.toFixed(3),
      }),
    ],
  });
  return figure(inner, width, height, caption);
}
