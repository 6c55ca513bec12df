// Step 10 · Residual connections and layer norm
// Read book/src/step_10.md, then replace the `throw notImplemented(...)` with your code.
// Check your work with:  npm run s10
// Stuck? npm run hint -- 10 gives three hints, each giving more away.
import * as F from "../lib/functional.ts";
import type { Tensor } from "../lib/tensor.ts";
import { notImplemented } from "../lib/todo.ts";

/** Anything with a forward(x) — a LayerNorm here. */
export interface Norm {
  forward(x: Tensor): Tensor;
}

/** The pre-norm residual: x + sublayer(norm(x)). The result has x's shape. */
export function preNormResidual(x: Tensor, norm: Norm, sublayer: (h: Tensor) => Tensor): Tensor {
  // TODO: 1. run the sublayer on the normalised input: sublayer(norm.forward(x))
  //       2. throw an error naming both shapes if the update's shape differs from x's
  //       3. return x + update (F.add builds a new tensor; never write into x)
  throw notImplemented("10", `preNormResidual: x + sublayer(norm(x)) for x of shape [${x.shape}]`);
}
