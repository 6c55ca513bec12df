// Step 11 · Transformer block — reference solution.
// A GPT-2 block is two pre-norm residual sublayers: attention lets positions talk to each
// other, then the MLP processes each position on its own.
//   x = x + attn(ln_1(x))
//   x = x + mlp(ln_2(x))
import { LayerNorm } from "./solution_03.ts";
import { GPT2MLP } from "./solution_04.ts";
import { GPT2Attention } from "./solution_09.ts";
import { preNormResidual } from "./solution_10.ts";
import { Module } from "../lib/nn.ts";
import type { Tensor } from "../lib/tensor.ts";
import type { GPT2Config } from "./solution_01.ts";

export class GPT2Block extends Module {
  ln_1: LayerNorm;
  attn: GPT2Attention;
  ln_2: LayerNorm;
  mlp: GPT2MLP;

  constructor(config: GPT2Config) {
    super();
    this.ln_1 = new LayerNorm(config.n_embd, config.layer_norm_epsilon);
    this.attn = new GPT2Attention(config);
    this.ln_2 = new LayerNorm(config.n_embd, config.layer_norm_epsilon);
    this.mlp = new GPT2MLP(config);
  }

  // ANCHOR: forward
  /** x: [B, T, n_embd] → [B, T, n_embd]. */
  forward(x: Tensor): Tensor {
    const afterAttention = preNormResidual(x, this.ln_1, (h) => this.attn.forward(h));
    return preNormResidual(afterAttention, this.ln_2, (h) => this.mlp.forward(h));
  }
  // ANCHOR_END: forward
}
