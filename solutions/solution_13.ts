// Step 13 · Language model head — reference solution.
// The head turns each final hidden vector into one score (logit) per vocabulary entry:
// logits = hidden · wteᵀ. GPT-2 reuses the token embedding table as the head's weight
// ("weight tying"): the same array, so the 38,597,376 numbers are stored and learned once.
import { GPT2Model } from "./solution_12.ts";
import { Linear, Module } from "../lib/nn.ts";
import { withoutInit } from "../lib/random.ts";
import type { IntTensor, Tensor } from "../lib/tensor.ts";
import type { GPT2Config } from "./solution_01.ts";

export class GPT2LMHeadModel extends Module {
  transformer: GPT2Model;
  lm_head: Linear;

  constructor(
    readonly config: GPT2Config,
    { tieWeights = true }: { tieWeights?: boolean } = {},
  ) {
    super();
    this.transformer = new GPT2Model(config);
    if (tieWeights) {
      // No need to draw 38.6M random numbers for a weight we replace at once.
      this.lm_head = withoutInit(() => new Linear(config.n_embd, config.vocab_size, { bias: false }));
      this.lm_head.weight = this.transformer.wte.weight; // the same array: [vocab_size, n_embd]
    } else {
      this.lm_head = new Linear(config.n_embd, config.vocab_size, { bias: false });
    }
  }

  // ANCHOR: forward
  /** ids: [B, T] → logits [B, T, vocab_size]: unnormalised scores for the next token. */
  forward(ids: IntTensor): Tensor {
    return this.lm_head.forward(this.transformer.forward(ids));
  }
  // ANCHOR_END: forward
}
