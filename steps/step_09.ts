// Step 09 · Multi-head attention
// Read book/src/step_09.md, then replace each `throw notImplemented(...)` with your code.
// Check your work with:  npm run s09
// Stuck? npm run hint -- 09 gives three hints, each giving more away.
import { splitQKV } from "#chain/step_07";
import { attention } from "#chain/step_08";
import * as F from "../lib/functional.ts";
import { Linear, Module } from "../lib/nn.ts";
import type { Tensor } from "../lib/tensor.ts";
import { notImplemented } from "../lib/todo.ts";
import type { GPT2Config } from "#chain/step_01";

/** [B, T, C] → [B, H, T, C/H]: cut each vector into H heads, then move the head axis forward. */
export function splitHeads(x: Tensor, n_head: number): Tensor {
  // TODO: [B, T, C] → [B, n_head, T, C / n_head]: head h gets features h·D … (h+1)·D − 1 of every position.
  throw notImplemented("09", `splitHeads: [${x.shape}] → [B, ${n_head}, T, D]`);
}

/** [B, H, T, D] → [B, T, H·D]: the inverse of splitHeads. */
export function mergeHeads(x: Tensor): Tensor {
  // TODO: [B, H, T, D] → [B, T, H·D], the exact inverse of splitHeads.
  throw notImplemented("09", `mergeHeads: [${x.shape}] → [B, T, H·D]`);
}

export class GPT2Attention extends Module {
  c_attn!: Linear;
  c_proj!: Linear;

  constructor(readonly config: GPT2Config) {
    super();
    // TODO: c_attn (n_embd → 3·n_embd) and c_proj (n_embd → n_embd).
    throw notImplemented(
      "09",
      `GPT2Attention constructor: create c_attn (${config.n_embd}→${3 * config.n_embd}) and c_proj (${config.n_embd}→${config.n_embd})`,
    );
  }

  /** x: [B, T, n_embd] → [B, T, n_embd]. */
  forward(x: Tensor): Tensor {
    // TODO: 1. q, k, v = splitQKV(c_attn(x), n_embd)           (step 07)
    //       2. split each into heads: [B, H, T, D]
    //       3. attention(q, k, v).output                        (step 08: it handles the extra head axis)
    //       4. merge the heads back to [B, T, n_embd] and apply c_proj
    throw notImplemented("09", `GPT2Attention.forward: multi-head attention over x of shape [${x.shape}]`);
  }
}
