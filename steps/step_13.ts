// Step 13 · Language model head
// Read book/src/step_13.md, then replace each `throw notImplemented(...)` with your code.
// Check your work with:  npm run s13
// Stuck? npm run hint -- 13 gives three hints, each giving more away.
import { GPT2Model } from "#chain/step_12";
import { Linear, Module } from "../lib/nn.ts";
import { withoutInit } from "../lib/random.ts";
import type { IntTensor, Tensor } from "../lib/tensor.ts";
import { notImplemented } from "../lib/todo.ts";
import type { GPT2Config } from "#chain/step_01";

export class GPT2LMHeadModel extends Module {
  transformer!: GPT2Model;
  lm_head!: Linear;

  constructor(
    readonly config: GPT2Config,
    { tieWeights = true }: { tieWeights?: boolean } = {},
  ) {
    super();
    // TODO: 1. transformer: a GPT2Model
    //       2. lm_head: Linear(n_embd → vocab_size) without a bias
    //       3. if tieWeights, make lm_head.weight the very same tensor as transformer.wte.weight
    throw notImplemented(
      "13",
      `GPT2LMHeadModel constructor: transformer + lm_head (${config.n_embd}→${config.vocab_size}), tied: ${tieWeights}`,
    );
  }

  /** ids: [B, T] → logits [B, T, vocab_size]. */
  forward(ids: IntTensor): Tensor {
    // TODO: lm_head(transformer(ids)).
    throw notImplemented("13", `GPT2LMHeadModel.forward: logits for ids of shape [${ids.shape}]`);
  }
}
