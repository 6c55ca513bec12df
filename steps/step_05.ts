// Step 05 · Token embeddings
// Read book/src/step_05.md, then replace each `throw notImplemented(...)` with your code.
// Check your work with:  npm run s05
// Stuck? npm run hint -- 05 gives three hints, each giving more away.
import { Module } from "../lib/nn.ts";
import { defaultRandom, randn } from "../lib/random.ts";
import { fromData, type IntTensor, type Tensor } from "../lib/tensor.ts";
import { notImplemented } from "../lib/todo.ts";
import type { GPT2Config } from "#chain/step_01";

export class TokenEmbedding extends Module {
  weight!: Tensor;

  constructor(config: GPT2Config) {
    super();
    // TODO: the table: a [vocab_size, n_embd] tensor of random numbers with standard deviation 0.02
    //       (GPT-2's initialisation), drawn from defaultRandom.
    throw notImplemented("05", `TokenEmbedding constructor: create weight [${config.vocab_size}, ${config.n_embd}]`);
  }

  /** ids: [B, T] integer token ids → [B, T, n_embd], row `id` of the table for each id. */
  forward(ids: IntTensor): Tensor {
    // TODO: 1. ids must be [B, T]; otherwise throw naming the shape
    //       2. an id outside 0 … vocab_size − 1 is a RangeError naming the id and the vocabulary size
    //       3. return a new [B, T, n_embd] tensor whose position (b, t) is row ids[b, t] of the table
    throw notImplemented("05", `TokenEmbedding.forward: look up the rows for ids of shape [${ids.shape}]`);
  }
}
