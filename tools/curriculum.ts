// The list of steps: one place that the checker, progress and watch tools read.
export interface StepInfo {
  nn: string;
  title: string;
}

export const STEPS: readonly StepInfo[] = [
  { nn: "01", title: "Model configuration" },
  { nn: "02", title: "Causal masking" },
  { nn: "03", title: "Layer normalization" },
  { nn: "04", title: "Feed-forward network" },
  { nn: "05", title: "Token embeddings" },
  { nn: "06", title: "Position embeddings" },
  { nn: "07", title: "Q/K/V projections" },
  { nn: "08", title: "Attention" },
  { nn: "09", title: "Multi-head attention" },
  { nn: "10", title: "Residual connections and layer norm" },
  { nn: "11", title: "Transformer block" },
  { nn: "12", title: "Stacking blocks" },
  { nn: "13", title: "Language model head" },
  { nn: "14", title: "Text generation" },
  { nn: "15", title: "Loading pretrained weights" },
  { nn: "16", title: "The KV cache" },
];

export function findStep(arg: string | undefined): StepInfo | undefined {
  if (!arg) return undefined;
  const nn = arg.replace(/^s(tep)?_?/i, "").padStart(2, "0");
  return STEPS.find((s) => s.nn === nn);
}
