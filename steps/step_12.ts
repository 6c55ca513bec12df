// Step 12 · Stacking blocks
// Read book/src/step_12.md, then replace each `throw notImplemented(...)` with your code.
// Check your work with:  npm run s12
// Stuck? npm run hint -- 12 gives three hints, each giving more away.
import { LayerNorm } from "#chain/step_03";
import { TokenEmbedding } from "#chain/step_05";
import { PositionEmbedding } from "#chain/step_06";
import { GPT2Block } from "#chain/step_11";
import * as F from "../lib/functional.ts";
import { Module, ModuleList } from "../lib/nn.ts";
import type { IntTensor, Tensor } from "../lib/tensor.ts";
import { notImplemented } from "../lib/todo.ts";
import type { GPT2Config } from "#chain/step_01";

export class GPT2Model extends Module {
  wte!: TokenEmbedding;
  wpe!: PositionEmbedding;
  h!: ModuleList<GPT2Block>;
  ln_f!: LayerNorm;

  constructor(readonly config: GPT2Config) {
    super();
    // TODO: wte, wpe, h (a ModuleList of config.n_layer GPT2Blocks), ln_f — in this order.
    throw notImplemented("12", `GPT2Model constructor: create wte, wpe, ${config.n_layer} blocks in h, and ln_f`);
  }

  /** [embeddings, after block 0, …, after block n_layer−1], each [B, T, n_embd] (before ln_f). */
  hiddenStates(ids: IntTensor): Tensor[] {
    // TODO: 1. x = wte(ids) + wpe(T)   ([B, T, C] + [T, C] broadcasts)
    //       2. run x through every block in h, collecting x before the first block and after each one
    throw notImplemented("12", `GPT2Model.hiddenStates: embed ids of shape [${ids.shape}] and run the blocks`);
  }

  /** ids: [B, T] → [B, T, n_embd], the final layer-normalised hidden states. */
  forward(ids: IntTensor): Tensor {
    // TODO: ln_f applied to the last hidden state.
    throw notImplemented("12", `GPT2Model.forward: ln_f(last hidden state) for ids of shape [${ids.shape}]`);
  }
}
