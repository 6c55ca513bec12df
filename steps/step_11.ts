// Step 11 · Transformer block
// Read book/src/step_11.md, then replace each `throw notImplemented(...)` with your code.
// Check your work with:  npm run s11
// Stuck? npm run hint -- 11 gives three hints, each giving more away.
import { LayerNorm } from "#chain/step_03";
import { GPT2MLP } from "#chain/step_04";
import { GPT2Attention } from "#chain/step_09";
import { preNormResidual } from "#chain/step_10";
import { Module } from "../lib/nn.ts";
import type { Tensor } from "../lib/tensor.ts";
import { notImplemented } from "../lib/todo.ts";
import type { GPT2Config } from "#chain/step_01";

export class GPT2Block extends Module {
  ln_1!: LayerNorm;
  attn!: GPT2Attention;
  ln_2!: LayerNorm;
  mlp!: GPT2MLP;

  constructor(config: GPT2Config) {
    super();
    // TODO: create ln_1, attn, ln_2, mlp — in this order (the order decides the parameter paths).
    // Hint: the layer norms use config.n_embd and config.layer_norm_epsilon.
    throw notImplemented("11", `GPT2Block constructor: create ln_1, attn, ln_2 and mlp for n_embd ${config.n_embd}`);
  }

  /** x: [B, T, n_embd] → [B, T, n_embd]. */
  forward(x: Tensor): Tensor {
    // TODO: x = x + attn(ln_1(x)); then x = x + mlp(ln_2(x)) — use preNormResidual twice.
    throw notImplemented("11", `GPT2Block.forward: two pre-norm residuals over x of shape [${x.shape}]`);
  }
}
