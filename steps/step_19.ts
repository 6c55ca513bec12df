// Step 19 · Backward through attention
// Read book/src/step_19.md, then replace each `throw notImplemented(...)` with your code.
// Check your work with:  npm run s19
// Stuck? npm run hint -- 19 gives three hints, each giving more away.
import * as F from "../lib/functional.ts";
import type { Tensor } from "../lib/tensor.ts";
import { notImplemented } from "../lib/todo.ts";

/** Backward of F.softmax along the last axis: dscores = w ⊙ (dw − Σⱼ dwⱼ·wⱼ), with w the softmax's output. */
export function softmaxBackward(weights: Tensor, dweights: Tensor): Tensor {
  // TODO: the gradient with respect to the scores, the same shape as weights.
  throw notImplemented("19", `softmaxBackward: dscores for weights [${weights.shape}]`);
}

/**
 * Backward of step 08's attention: gradients of output = softmax(q·kᵀ/√d + mask)·v for q [..., Tq, d], k and v [..., Tk, d],
 * given the forward pass's weights [..., Tq, Tk] and dout [..., Tq, d].
 */
export function attentionBackward(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  weights: Tensor,
  dout: Tensor,
): { dq: Tensor; dk: Tensor; dv: Tensor } {
  // TODO: dq [..., Tq, d], dk and dv [..., Tk, d], the shapes of q, k and v.
  throw notImplemented("19", `attentionBackward: dq, dk, dv for q [${q.shape}], k [${k.shape}]`);
}
