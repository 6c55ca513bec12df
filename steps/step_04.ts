// Step 04 · Feed-forward network
// Read book/src/step_04.md, then replace each `throw notImplemented(...)` with your code.
// Check your work with:  npm run s04
// Stuck? npm run hint -- 04 gives three hints, each giving more away.
import * as F from "../lib/functional.ts";
import { Linear, Module } from "../lib/nn.ts";
import type { Tensor } from "../lib/tensor.ts";
import { notImplemented } from "../lib/todo.ts";
import type { GPT2Config } from "#chain/step_01";

/** GELU, tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
export function gelu(x: Tensor): Tensor {
  // TODO: gelu(x) = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) for every element; same shape as x.
  throw notImplemented("04", "gelu: apply the tanh-approximate GELU to every element");
}

export class GPT2MLP extends Module {
  c_fc!: Linear;
  c_proj!: Linear;

  constructor(config: GPT2Config) {
    super();
    // TODO: c_fc expands n_embd → config.innerDim; c_proj projects innerDim → n_embd.
    throw notImplemented(
      "04",
      `GPT2MLP constructor: create c_fc (${config.n_embd}→${config.innerDim}) and c_proj (${config.innerDim}→${config.n_embd})`,
    );
  }

  /** x: [..., n_embd] → [..., n_embd]. */
  forward(x: Tensor): Tensor {
    // TODO: c_fc, then gelu, then c_proj.
    throw notImplemented("04", `GPT2MLP.forward: c_proj(gelu(c_fc(x))) for x of shape [${x.shape}]`);
  }
}
