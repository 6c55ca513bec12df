// Step 05 · Token embeddings
// Read book/src/step_05.md, then replace each `throw notImplemented(...)` with your code.
// Check your work with:  npm run s05
import { Module } from "../lib/nn.ts";
import { defaultRandom, randn } from "../lib/random.ts";
import { fromData, type IntTensor, type Tensor } from "../lib/tensor.ts";
import { notImplemented } from "../lib/todo.ts";
import type { GPT2Config } from "../solutions/solution_01.ts";

export class TokenEmbedding extends Module {
  weight!: Tensor;

  constructor(config: GPT2Config) {
    super();
    // TODO: the table: a [vocab_size, n_embd] tensor of small random numbers.
    // Hint: randn(shape, defaultRandom, 0.02) — GPT-2 initialises with standard deviation 0.02.
    throw notImplemented("05", `TokenEmbedding constructor: create weight [${config.vocab_size}, ${config.n_embd}]`);
  }

  /** ids: [B, T] integer token ids → [B, T, n_embd], row `id` of the table for each id. */
  forward(ids: IntTensor): Tensor {
    // TODO: 1. check that ids is [B, T] (ids.shape.length === 2); otherwise throw naming the shape
    //       2. for each (b, t): read id = ids.get(b, t); throw a RangeError naming the id and
    //          the vocabulary size if it is outside 0 … vocab_size − 1
    //       3. copy row `id` of this.weight into position (b, t) of a new [B, T, n_embd] tensor
    // Hint: build a Float32Array of B·T·n_embd numbers and wrap it with fromData(data, [B, T, n_embd]).
    throw notImplemented("05", `TokenEmbedding.forward: look up the rows for ids of shape [${ids.shape}]`);
  }
}
