// Step 03 · Layer normalization
// Read book/src/step_03.md, then replace each `throw notImplemented(...)` with your code.
// Check your work with:  npm run s03
// Stuck? npm run hint -- 03 gives three hints, each giving more away.
import * as F from "../lib/functional.ts";
import { Module } from "../lib/nn.ts";
import { ones, zeros, type Tensor } from "../lib/tensor.ts";
import { notImplemented } from "../lib/todo.ts";

export class LayerNorm extends Module {
  weight!: Tensor;
  bias!: Tensor;

  constructor(
    readonly dim: number,
    readonly eps = 1e-5,
  ) {
    super();
    // TODO: create the learned scale `weight` (ones, shape [dim]) and shift `bias` (zeros, shape [dim]).
    // Hint: fields that hold a tensor become parameters automatically, named after the field.
    throw notImplemented(
      "03",
      `LayerNorm(${dim}) constructor: create weight (ones [${dim}]) and bias (zeros [${dim}])`,
    );
  }

  /** x: [..., dim] → [..., dim], normalised over the last axis. */
  forward(x: Tensor): Tensor {
    // TODO: 1. mean and biased variance over the last axis (F.mean, F.variance)
    //       2. normalized = (x − mean) / √(variance + eps)
    //       3. return normalized · weight + bias
    // Hint: F.mean and F.variance return shape [..., 1], which broadcasts against [..., dim].
    throw notImplemented("03", `LayerNorm.forward: normalise x of shape [${x.shape}] over its last axis`);
  }
}
