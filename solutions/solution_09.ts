// Step 09 · Multi-head attention — reference solution.
// One attention can only attend in one way at a time. GPT-2 runs n_head attentions side by
// side, each on its own head_dim-wide slice of q, k and v, then concatenates their outputs
// and mixes them with c_proj.
import { splitQKV } from "./solution_07.ts";
import { attention } from "./solution_08.ts";
import * as F from "../lib/functional.ts";
import { Linear, Module } from "../lib/nn.ts";
import type { Tensor } from "../lib/tensor.ts";
import type { GPT2Config } from "./solution_01.ts";

// ANCHOR: heads
/** [B, T, C] → [B, H, T, C/H]: cut each vector into H heads, then move the head axis forward. */
export function splitHeads(x: Tensor, n_head: number): Tensor {
  const [B, T, C] = x.shape;
  return F.permute(F.reshape(x, [B, T, n_head, C / n_head]), [0, 2, 1, 3]);
}

/** [B, H, T, D] → [B, T, H·D]: the inverse of splitHeads. */
export function mergeHeads(x: Tensor): Tensor {
  const [B, H, T, D] = x.shape;
  return F.reshape(F.permute(x, [0, 2, 1, 3]), [B, T, H * D]);
}
// ANCHOR_END: heads

export class GPT2Attention extends Module {
  c_attn: Linear;
  c_proj: Linear;

  constructor(readonly config: GPT2Config) {
    super();
    this.c_attn = new Linear(config.n_embd, 3 * config.n_embd);
    this.c_proj = new Linear(config.n_embd, config.n_embd);
  }

  // ANCHOR: forward
  /** x: [B, T, n_embd] → [B, T, n_embd]. */
  forward(x: Tensor): Tensor {
    const { q, k, v } = splitQKV(this.c_attn.forward(x), this.config.n_embd);
    const heads = (t: Tensor) => splitHeads(t, this.config.n_head);
    // Every head attends independently: [B, H, T, D] with the head axis as an extra batch axis.
    const { output } = attention(heads(q), heads(k), heads(v));
    return this.c_proj.forward(mergeHeads(output));
  }
  // ANCHOR_END: forward
}
