// Step 08 · Attention
// Read book/src/step_08.md, then replace the `throw notImplemented(...)` with your code.
// Check your work with:  npm run s08
// Stuck? npm run hint -- 08 gives three hints, each giving more away.
import * as F from "../lib/functional.ts";
import { causalMask } from "#chain/step_02";
import type { Tensor } from "../lib/tensor.ts";
import { notImplemented } from "../lib/todo.ts";

export interface AttentionResult {
  /** [..., Tq, d]: for each query, the weighted average of the values. */
  output: Tensor;
  /** [..., Tq, Tk]: how much each query attends to each key; every row sums to 1. */
  weights: Tensor;
}

/**
 * Causal scaled dot-product attention. q: [..., Tq, d]; k, v: [..., Tk, d] with Tk ≥ Tq.
 * When Tk > Tq the first Tk − Tq keys are earlier (cached) tokens that every query may see.
 */
export function attention(q: Tensor, k: Tensor, v: Tensor): AttentionResult {
  // TODO: 1. scores = q · kᵀ / √d        ([..., Tq, d] · [..., d, Tk] → [..., Tq, Tk])
  //       2. add causalMask(Tq, Tk − Tq)  (it broadcasts over the leading axes)
  //       3. weights = softmax over the last axis (F.softmax)
  //       4. output = weights · v
  // Hint: d is q's last dimension; Tq and Tk are the second-to-last dimensions of q and k.
  throw notImplemented("08", `attention: q [${q.shape}], k [${k.shape}], v [${v.shape}] → softmax(q·kᵀ/√d + mask)·v`);
}
