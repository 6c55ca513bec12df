// Step 06 · Position embeddings
// Read book/src/step_06.md, then replace each `throw notImplemented(...)` with your code.
// Check your work with:  npm run s06
// Stuck? npm run hint -- 06 gives three hints, each giving more away.
import * as F from "../lib/functional.ts";
import { Module } from "../lib/nn.ts";
import { defaultRandom, randn } from "../lib/random.ts";
import { arangeInt, type Tensor } from "../lib/tensor.ts";
import { notImplemented } from "../lib/todo.ts";
import type { GPT2Config } from "#chain/step_01";

export class PositionEmbedding extends Module {
  weight!: Tensor;

  constructor(config: GPT2Config) {
    super();
    // TODO: the table: a [n_positions, n_embd] tensor, initialised like the token table.
    throw notImplemented(
      "06",
      `PositionEmbedding constructor: create weight [${config.n_positions}, ${config.n_embd}]`,
    );
  }

  /** Embeddings of positions past … past+T−1: [T, n_embd]. */
  forward(T: number, past = 0): Tensor {
    // TODO: 1. throw a RangeError naming the value when T is not an integer ≥ 1 or past is not
    //          an integer ≥ 0
    //       2. throw a RangeError when past + T is larger than the number of rows (n_positions),
    //          naming past + T and n_positions
    //       3. return rows past … past+T−1 of the table
    throw notImplemented(
      "06",
      `PositionEmbedding.forward(${T}, ${past}): return rows ${past}…${past + T - 1} of the table`,
    );
  }
}
