// Step 17 · Cross-entropy loss — reference solution.
// Training asks the model, at every position, how likely it found the token that really came
// next. The loss is the mean of −log of those probabilities: 0 when the model is sure and right,
// ln(vocab_size) ≈ 10.8 when it guesses uniformly, large when it is sure and wrong.
import * as F from "../lib/functional.ts";
import { ShapeError, fmtShape, fromData, intTensor, type IntTensor, type Tensor } from "../lib/tensor.ts";

/** A [B, T + 1] window of the token stream → what the model reads (0 … T−1) and what it must predict (1 … T). */
export function nextTokenTargets(window: IntTensor): { inputs: IntTensor; targets: IntTensor } {
  const [B, width] = window.shape;
  const columns = (from: number) =>
    intTensor(
      Array.from({ length: B }, (_, b) => Array.from({ length: width - 1 }, (_, t) => window.get(b, from + t))),
    );
  // The shift by one: the target at position t is the token at t + 1.
  return { inputs: columns(0), targets: columns(1) };
}

/** Mean over the B·T positions of −log softmax(logits[b, t])[targets[b, t]]. */
export function crossEntropy(logits: Tensor, targets: IntTensor): number {
  const [B, T] = checkShapes(logits, targets);
  // log softmax of every row, (z − max) − log Σ exp(z − max) so that exp never overflows: the
  // chapter's loop, which F.logSoftmax runs on every core.
  const logp = F.logSoftmax(logits);
  let total = 0;
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) total -= logp.get(b, t, targets.get(b, t));
  return total / (B * T);
}

/** d loss / d logits: (softmax(logits) − one-hot(targets)) / (B·T), shape [B, T, V]. */
export function crossEntropyBackward(logits: Tensor, targets: IntTensor): Tensor {
  const [B, T, V] = checkShapes(logits, targets);
  const grad = F.softmax(logits).data; // a fresh [B, T, V] array of probabilities, ours to change
  for (let row = 0; row < B * T; row++) {
    const start = row * V;
    for (let v = 0; v < V; v++) grad[start + v] /= B * T;
    grad[start + targets.get(Math.floor(row / T), row % T)] -= 1 / (B * T);
  }
  return fromData(grad, [B, T, V]);
}

/** logits [B, T, V] and targets [B, T] of ids below V. */
function checkShapes(logits: Tensor, targets: IntTensor): number[] {
  const [B, T, V] = logits.shape;
  if (logits.shape.length !== 3 || targets.shape.length !== 2 || targets.shape[0] !== B || targets.shape[1] !== T)
    throw new ShapeError(
      `crossEntropy: logits ${fmtShape(logits.shape)} need targets [${B}, ${T}], got ${fmtShape(targets.shape)}`,
    );
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++) {
      const id = targets.get(b, t);
      if (id < 0 || id >= V)
        throw new RangeError(`crossEntropy: target ${id} at [${b}, ${t}] is not a token id 0…${V - 1}`);
    }
  return [B, T, V];
}
