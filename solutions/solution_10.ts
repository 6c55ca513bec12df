// Step 10 · Residual connections and layer norm — reference solution.
// Each sublayer of a GPT-2 block reads a normalised copy of the stream x and *adds* its
// result back: x + f(ln(x)). The un-normalised x flows straight through every block, which is
// what lets gradients reach the first layers of a deep network.
import * as F from "../lib/functional.ts";
import { ShapeError, fmtShape, type Tensor } from "../lib/tensor.ts";

/** Anything with a forward(x) — a LayerNorm here. */
export interface Norm {
  forward(x: Tensor): Tensor;
}

// ANCHOR: residual
/** The pre-norm residual: x + sublayer(norm(x)). The result has x's shape. */
export function preNormResidual(x: Tensor, norm: Norm, sublayer: (h: Tensor) => Tensor): Tensor {
  const update = sublayer(norm.forward(x));
  if (fmtShape(update.shape) !== fmtShape(x.shape)) {
    throw new ShapeError(
      `preNormResidual: the sublayer returned ${fmtShape(update.shape)} but the residual stream is ${fmtShape(x.shape)}; they must match to be added`,
    );
  }
  return F.add(x, update);
}
// ANCHOR_END: residual
