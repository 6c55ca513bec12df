// Step 06 · Position embeddings — reference solution.
// Attention by itself does not know the order of tokens. GPT-2 adds a learned vector per
// position (`wpe`, word-position embedding): row p of the table for the token at position p.
import * as F from "../lib/functional.ts";
import { Module } from "../lib/nn.ts";
import { randn, defaultRandom } from "../lib/random.ts";
import { arangeInt, type Tensor } from "../lib/tensor.ts";
import type { GPT2Config } from "./solution_01.ts";

export class PositionEmbedding extends Module {
  weight: Tensor;

  constructor(config: GPT2Config) {
    super();
    this.weight = randn([config.n_positions, config.n_embd], defaultRandom, 0.02);
  }

  // ANCHOR: forward
  /** Embeddings of positions past … past+T−1: [T, n_embd] (they broadcast over the batch). */
  forward(T: number, past = 0): Tensor {
    checkPositions(T, past, this.weight.shape[0]);
    return F.embedding(this.weight, arangeInt(past, past + T));
  }
  // ANCHOR_END: forward
}

/** The new tokens' positions past … past+T−1 must be rows of the table: the context limit. */
function checkPositions(T: number, past: number, n_positions: number): void {
  if (!Number.isInteger(T) || T < 1 || !Number.isInteger(past) || past < 0) {
    throw new RangeError(
      `PositionEmbedding: T must be a positive integer and past an integer ≥ 0, got T=${T}, past=${past}`,
    );
  }
  if (past + T > n_positions) {
    throw new RangeError(
      `PositionEmbedding: positions ${past}…${past + T - 1} do not fit; the model has ${n_positions} positions (past + T = ${past + T} > n_positions = ${n_positions})`,
    );
  }
}
