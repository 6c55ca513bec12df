// Step 02 · Causal masking — reference solution.
// A language model predicts each token from the tokens before it, so position i must not
// look at positions after i. The mask is added to the attention scores before softmax:
// 0 keeps a score, −∞ turns its weight into exactly 0.
import { zeros, type Tensor } from "../lib/tensor.ts";

/**
 * The additive causal mask for `T` new tokens that follow `past` tokens already processed
 * (the KV cache). Shape [T, past + T]; row i is the query at absolute position past + i,
 * which may attend to keys 0 … past + i.
 */
export function causalMask(T: number, past = 0): Tensor {
  if (!Number.isInteger(T) || T < 1) throw new RangeError(`causalMask: T must be a positive integer, got ${T}`);
  if (!Number.isInteger(past) || past < 0) throw new RangeError(`causalMask: past must be an integer ≥ 0, got ${past}`);
  const keys = past + T;
  const mask = zeros([T, keys]);
  for (let i = 0; i < T; i++) {
    for (let j = past + i + 1; j < keys; j++) mask.set(i, j, -Infinity);
  }
  return mask;
}
