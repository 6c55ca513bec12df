// Step 04 · Feed-forward network — reference solution.
// After attention has mixed information between positions, the MLP transforms each position
// on its own: widen to 4 × n_embd, apply GELU, project back to n_embd.
import * as F from "../lib/functional.ts";
import { Linear, Module } from "../lib/nn.ts";
import type { Tensor } from "../lib/tensor.ts";
import type { GPT2Config } from "./solution_01.ts";

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

// ANCHOR: gelu
/**
 * GELU, tanh approximation (GPT-2's "gelu_new"): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), written
 * with whole-tensor operations as Hugging Face writes it (F.tanh runs in the kernels, on every core).
 */
export function gelu(x: Tensor): Tensor {
  const cube = F.mul(F.mul(x, x), x);
  const inner = F.mul(F.add(x, F.mul(cube, 0.044715)), SQRT_2_OVER_PI);
  return F.mul(F.mul(x, 0.5), F.add(F.tanh(inner), 1));
}
// ANCHOR_END: gelu

export class GPT2MLP extends Module {
  c_fc: Linear;
  c_proj: Linear;

  constructor(config: GPT2Config) {
    super();
    this.c_fc = new Linear(config.n_embd, config.innerDim); // expand
    this.c_proj = new Linear(config.innerDim, config.n_embd); // project back
  }

  // ANCHOR: forward
  /** x: [..., n_embd] → [..., n_embd]. */
  forward(x: Tensor): Tensor {
    return this.c_proj.forward(gelu(this.c_fc.forward(x)));
  }
  // ANCHOR_END: forward
}
