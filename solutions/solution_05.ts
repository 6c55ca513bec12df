// Step 05 · Token embeddings — reference solution.
// The model cannot compute with token ids; it looks each id up in a table of learned vectors
// (`wte`, the word-token embedding), one row of n_embd numbers per vocabulary entry.
import { Module } from "../lib/nn.ts";
import { randn, defaultRandom } from "../lib/random.ts";
import { ShapeError, fmtShape, fromData, type IntTensor, type Tensor } from "../lib/tensor.ts";
import type { GPT2Config } from "./solution_01.ts";

export class TokenEmbedding extends Module {
  weight: Tensor;

  constructor(config: GPT2Config) {
    super();
    this.weight = randn([config.vocab_size, config.n_embd], defaultRandom, 0.02);
  }

  // ANCHOR: forward
  /** ids: [B, T] integer token ids → [B, T, n_embd], row `id` of the table for each id. */
  forward(ids: IntTensor): Tensor {
    if (!(ids.data instanceof Int32Array) || ids.shape.length !== 2) {
      throw new ShapeError(
        `TokenEmbedding: expected integer ids of shape [B, T], got ${ids.data instanceof Int32Array ? fmtShape(ids.shape) : "a non-integer tensor"}`,
      );
    }
    const [vocab, dim] = this.weight.shape;
    const [B, T] = ids.shape;
    const out = new Float32Array(B * T * dim);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const id = ids.get(b, t);
        if (id < 0 || id >= vocab) {
          throw new RangeError(
            `TokenEmbedding: token id ${id} at [${b}, ${t}] is out of range; the vocabulary has ${vocab} tokens (ids 0…${vocab - 1})`,
          );
        }
        // Copy row `id` of the table into output position (b, t).
        for (let c = 0; c < dim; c++) out[(b * T + t) * dim + c] = this.weight.get(id, c);
      }
    }
    return fromData(out, [B, T, dim]);
  }
  // ANCHOR_END: forward
}
