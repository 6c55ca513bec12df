// Step 07 · Q/K/V projections
// Read book/src/step_07.md, then replace each `throw notImplemented(...)` with your code.
// Check your work with:  npm run s07
// Stuck? npm run hint -- 07 gives three hints, each giving more away.
import * as F from "../lib/functional.ts";
import { Linear, Module } from "../lib/nn.ts";
import type { Tensor } from "../lib/tensor.ts";
import { notImplemented } from "../lib/todo.ts";
import type { GPT2Config } from "#chain/step_01";

export interface QKV {
  q: Tensor;
  k: Tensor;
  v: Tensor;
}

/** Cuts [..., 3·C] into q, k, v of [..., C] each. */
export function splitQKV(qkv: Tensor, n_embd: number): QKV {
  // TODO: check that the last dimension is 3 * n_embd (throw naming both numbers), then cut
  //   it into three consecutive blocks of n_embd: q first, then k, then v.
  throw notImplemented("07", `splitQKV: cut [${qkv.shape}] into q, k, v of width ${n_embd}`);
}

export class QKVProjection extends Module {
  c_attn!: Linear;

  constructor(readonly config: GPT2Config) {
    super();
    // TODO: one Linear layer from n_embd to 3 * n_embd, named c_attn.
    throw notImplemented("07", `QKVProjection constructor: create c_attn (${config.n_embd}→${3 * config.n_embd})`);
  }

  /** x: [B, T, n_embd] → q, k, v, each [B, T, n_embd]. */
  forward(x: Tensor): QKV {
    // TODO: project with c_attn, then split with splitQKV.
    throw notImplemented(
      "07",
      `QKVProjection.forward: project x of shape [${x.shape}] and split into q, k, v (n_embd ${this.config.n_embd})`,
    );
  }
}
