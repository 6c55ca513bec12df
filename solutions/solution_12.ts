// Step 12 · Stacking blocks — reference solution.
// GPT2Model turns token ids into contextual vectors: embed tokens and positions, pass the
// sum through n_layer blocks, and normalise once more at the end (ln_f).
import { LayerNorm } from "./solution_03.ts";
import { TokenEmbedding } from "./solution_05.ts";
import { PositionEmbedding } from "./solution_06.ts";
import { GPT2Block } from "./solution_11.ts";
import * as F from "../lib/functional.ts";
import { Module, ModuleList } from "../lib/nn.ts";
import type { IntTensor, Tensor } from "../lib/tensor.ts";
import type { GPT2Config } from "./solution_01.ts";

export class GPT2Model extends Module {
  wte: TokenEmbedding;
  wpe: PositionEmbedding;
  h: ModuleList<GPT2Block>;
  ln_f: LayerNorm;

  constructor(readonly config: GPT2Config) {
    super();
    this.wte = new TokenEmbedding(config);
    this.wpe = new PositionEmbedding(config);
    this.h = new ModuleList(Array.from({ length: config.n_layer }, () => new GPT2Block(config)));
    this.ln_f = new LayerNorm(config.n_embd, config.layer_norm_epsilon);
  }

  // ANCHOR: model
  /**
   * The residual stream at every depth: [embeddings, after block 0, …, after block n_layer−1],
   * each [B, T, n_embd] (before ln_f).
   */
  hiddenStates(ids: IntTensor): Tensor[] {
    const T = ids.shape[ids.shape.length - 1];
    // [B, T, C] + [T, C]: every sequence in the batch uses positions 0 … T−1.
    let x = F.add(this.wte.forward(ids), this.wpe.forward(T));
    const states = [x];
    for (const block of this.h) {
      x = block.forward(x);
      states.push(x);
    }
    return states;
  }
  // ANCHOR_END: model

  // ANCHOR: forward
  /** ids: [B, T] → [B, T, n_embd], the final layer-normalised hidden states. */
  forward(ids: IntTensor): Tensor {
    const states = this.hiddenStates(ids);
    return this.ln_f.forward(states[states.length - 1]);
  }
  // ANCHOR_END: forward
}
