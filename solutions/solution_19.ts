// Step 19 · Backward through attention — reference solution.
// Attention is three products and a softmax: scores = q·kᵀ/√d (+ the mask), weights =
// softmax(scores), output = weights·v. Its backward runs them in reverse, reusing the forward
// pass's weights: the one thing worth keeping, since recomputing them costs a whole softmax.
import * as F from "../lib/functional.ts";
import type { Tensor } from "../lib/tensor.ts";

/** Backward of F.softmax along the last axis: dscores = w ⊙ (dw − Σⱼ dwⱼ·wⱼ), with w the softmax's output. */
export function softmaxBackward(weights: Tensor, dweights: Tensor): Tensor {
  // Every output of a row depends on every score of the row (they share the denominator):
  // the Jacobian is diag(w) − w·wᵀ, and multiplying dw by it gives this.
  return F.mul(weights, F.sub(dweights, F.sum(F.mul(dweights, weights))));
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
  const scale = 1 / Math.sqrt(q.shape[q.shape.length - 1]);
  const T = (t: Tensor) => F.transpose(t, -2, -1);
  const dv = F.matmul(T(weights), dout); // [..., Tk, Tq]·[..., Tq, d]
  const dweights = F.matmul(dout, T(v)); // [..., Tq, d]·[..., d, Tk]
  // Masked scores have weight 0, so softmaxBackward gives them gradient 0: the mask needs nothing.
  const dscores = F.mul(softmaxBackward(weights, dweights), scale);
  return { dq: F.matmul(dscores, k), dk: F.matmul(T(dscores), q), dv };
}
