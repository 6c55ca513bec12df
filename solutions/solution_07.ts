// Step 07 · Q/K/V projections — reference solution.
// Attention compares a query from each position with a key from every position, then mixes
// the values. GPT-2 computes all three with one Linear layer, c_attn (n_embd → 3·n_embd),
// and cuts its output into three consecutive blocks: q, k, v, in that order.
import * as F from "../lib/functional.ts";
import { Linear, Module } from "../lib/nn.ts";
import { ShapeError, fmtShape, type Tensor } from "../lib/tensor.ts";
import type { GPT2Config } from "./solution_01.ts";

export interface QKV {
  q: Tensor;
  k: Tensor;
  v: Tensor;
}

// ANCHOR: split
/** Cuts [..., 3·C] into q, k, v of [..., C] each (views, no copies). */
export function splitQKV(qkv: Tensor, n_embd: number): QKV {
  const width = qkv.shape[qkv.shape.length - 1];
  if (width !== 3 * n_embd)
    throw new ShapeError(
      `splitQKV: expected a last dimension of 3 × ${n_embd} = ${3 * n_embd}, got ${fmtShape(qkv.shape)}`,
    );
  const [q, k, v] = F.split(qkv, [n_embd, n_embd, n_embd], -1);
  return { q, k, v };
}
// ANCHOR_END: split

export class QKVProjection extends Module {
  c_attn: Linear;

  constructor(readonly config: GPT2Config) {
    super();
    this.c_attn = new Linear(config.n_embd, 3 * config.n_embd);
  }

  /** x: [B, T, n_embd] → q, k, v, each [B, T, n_embd]. */
  forward(x: Tensor): QKV {
    return splitQKV(this.c_attn.forward(x), this.config.n_embd);
  }
}
