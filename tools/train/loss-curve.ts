// loss.svg, written beside every saved checkpoint: the training loss at each step (faint), the same
// smoothed (solid), and the held-out loss (dots), all in nats per token.
import * as Plot from "@observablehq/plot";
import { figure, plotSvg } from "../figures/svg.ts";

export interface LossHistory {
  history: { step: number; loss: number; validation?: number; bitsPerByte?: number }[];
}

export function lossCurve({ history }: LossHistory): string {
  const smooth: { step: number; loss: number }[] = [];
  for (const { step, loss } of history) {
    const previous = smooth.at(-1)?.loss;
    smooth.push({ step, loss: previous === undefined ? loss : 0.95 * previous + 0.05 * loss });
  }
  const held = history.filter((h) => h.validation !== undefined);
  const last = held.at(-1);
  const width = 640;
  const height = 320;
  const inner = plotSvg({
    width,
    height,
    x: { label: "step" },
    y: { label: "loss (nats per token)", grid: true },
    marks: [
      Plot.line(history, { x: "step", y: "loss", stroke: "#4a7fb0", strokeOpacity: 0.25 }),
      Plot.line(smooth, { x: "step", y: "loss", stroke: "#4a7fb0", strokeWidth: 2 }),
      Plot.dot(held, { x: "step", y: "validation", fill: "#b00020", r: 3 }),
    ],
  });
  const bpb = last?.bitsPerByte === undefined ? "" : `; last held-out: ${last.bitsPerByte.toFixed(3)} bits per byte`;
  return figure(
    inner,
    width,
    height,
    `training loss (blue: each step, and smoothed) and held-out loss (red dots)${bpb}`,
  );
}
