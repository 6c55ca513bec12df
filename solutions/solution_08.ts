// Step 08 · Attention — reference solution.
// Each query scores every key it may see, softmax turns the scores into weights that sum to
// 1, and the output is the weighted average of the values:
//   attention(q, k, v) = softmax(q·kᵀ / √d + mask) · v
import { causalMask } from "./solution_02.ts";
import * as F from "../lib/functional.ts";
import type { Tensor } from "../lib/tensor.ts";

export interface AttentionResult {
  /** [..., Tq, d]: for each query, the weighted average of the values. */
  output: Tensor;
  /** [..., Tq, Tk]: how much each query attends to each key; every row sums to 1. */
  weights: Tensor;
}

// ANCHOR: attention
/**
 * Causal scaled dot-product attention. q: [..., Tq, d]; k, v: [..., Tk, d] with Tk ≥ Tq.
 * When Tk > Tq the first Tk − Tq keys are earlier (cached) tokens that every query may see.
 */
export function attention(q: Tensor, k: Tensor, v: Tensor): AttentionResult {
  const d = q.shape[q.shape.length - 1];
  const Tq = q.shape[q.shape.length - 2];
  const Tk = k.shape[k.shape.length - 2];
  // Scale by 1/√d so the scores' spread does not grow with the head width (softmax would saturate).
  const scores = F.mul(F.matmul(q, F.transpose(k, -2, -1)), 1 / Math.sqrt(d)); // [..., Tq, Tk]
  const weights = F.softmax(F.add(scores, causalMask(Tq, Tk - Tq)));
  return { output: F.matmul(weights, v), weights };
}
// ANCHOR_END: attention
