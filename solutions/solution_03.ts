// Step 03 · Layer normalization — reference solution.
// Each hidden vector is shifted to mean 0 and scaled to variance 1 over its features, then
// stretched and shifted by a learned `weight` and `bias`. This keeps activations in a range
// where the next layer works well, however the previous layer scaled them.
import * as F from "../lib/functional.ts";
import { Module } from "../lib/nn.ts";
import { ones, zeros, type Tensor } from "../lib/tensor.ts";

export class LayerNorm extends Module {
  weight: Tensor;
  bias: Tensor;

  constructor(
    readonly dim: number,
    readonly eps = 1e-5,
  ) {
    super();
    this.weight = ones([dim]); // start as the identity: scale 1 …
    this.bias = zeros([dim]); //  … and shift 0
  }

  // ANCHOR: forward
  /** x: [..., dim] → [..., dim], normalised over the last axis. */
  forward(x: Tensor): Tensor {
    const mean = F.mean(x); // [..., 1]
    const variance = F.variance(x); // biased: divides by dim, as PyTorch's LayerNorm does
    const normalized = F.div(F.sub(x, mean), F.sqrt(F.add(variance, this.eps)));
    return F.add(F.mul(normalized, this.weight), this.bias);
  }
  // ANCHOR_END: forward
}
