// Step 17 · Cross-entropy loss
// Read book/src/step_17.md, then replace each `throw notImplemented(...)` with your code.
// Check your work with:  npm run s17
// Stuck? npm run hint -- 17 gives three hints, each giving more away.
import * as F from "../lib/functional.ts";
import { ShapeError, fmtShape, fromData, intTensor, type IntTensor, type Tensor } from "../lib/tensor.ts";
import { notImplemented } from "../lib/todo.ts";

/** A [B, T + 1] window of the token stream → what the model reads (0 … T−1) and what it must predict (1 … T). */
export function nextTokenTargets(window: IntTensor): { inputs: IntTensor; targets: IntTensor } {
  // TODO: inputs [B, T]: each row without its last token; targets [B, T]: each row without its first.
  throw notImplemented("17", `nextTokenTargets: split a window of shape [${window.shape}] into inputs and targets`);
}

/** Mean over the B·T positions of −log softmax(logits[b, t])[targets[b, t]]. */
export function crossEntropy(logits: Tensor, targets: IntTensor): number {
  // TODO: 1. targets must be [B, T] for logits [B, T, V] (a ShapeError naming both shapes), and every
  //          target an id 0 … V−1 (a RangeError naming it)
  //       2. at each position: log Σ exp(row) − row[target], computed so that exp never overflows
  //       3. return the mean over the B·T positions (a plain number)
  throw notImplemented(
    "17",
    `crossEntropy: the mean loss of logits [${logits.shape}] against targets [${targets.shape}]`,
  );
}

/** d loss / d logits: (softmax(logits) − one-hot(targets)) / (B·T), shape [B, T, V]. */
export function crossEntropyBackward(logits: Tensor, targets: IntTensor): Tensor {
  // TODO: the gradient of crossEntropy with respect to every logit, shape [B, T, V].
  throw notImplemented("17", `crossEntropyBackward: d loss / d logits for logits [${logits.shape}]`);
}
