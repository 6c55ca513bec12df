// Step 15 · Loading pretrained weights
// Read book/src/step_15.md, then replace each `throw notImplemented(...)` with your code.
// Check your work with:  npm run s15
// Stuck? npm run hint -- 15 gives three hints, each giving more away.
import { GPT2Config } from "#chain/step_01";
import { GPT2LMHeadModel } from "#chain/step_13";
import * as F from "../lib/functional.ts";
import { readCheckpoint } from "../lib/checkpoint.ts";
import { withoutInit } from "../lib/random.ts";
import { isTensor, type IntTensor, type Tensor } from "../lib/tensor.ts";
import { notImplemented } from "../lib/todo.ts";

export interface ConvertedState {
  /** Our GPT2LMHeadModel's state dict, ready for loadStateDict. */
  state: Record<string, Tensor>;
  /** Checkpoint keys that were deliberately not used, with the reason. */
  skipped: string[];
}

/** Maps a Hugging Face GPT-2 state dict onto GPT2LMHeadModel's parameter paths. */
export function convertHFStateDict(hf: Record<string, Tensor | IntTensor>): ConvertedState {
  // TODO: for every key of `hf`:
  //   - skip the buffers ending in ".attn.bias" or ".attn.masked_bias" (record them in `skipped`)
  //   - skip "lm_head.weight" if present (it is tied to wte; record it in `skipped`)
  //   - add the "transformer." prefix when the key does not have it
  //   - for the Conv1D weights (attn.c_attn.weight, attn.c_proj.weight, mlp.c_fc.weight,
  //     mlp.c_proj.weight) store them transposed, [in, out] → [out, in], as a view (no copy)
  // Then tie: state["lm_head.weight"] = state["transformer.wte.weight"] (the same object).
  throw notImplemented(
    "15",
    `convertHFStateDict: map ${Object.keys(hf).length} Hugging Face keys onto our parameter paths`,
  );
}

/** Builds GPT-2 from a folder with config.json and model.safetensors (Hugging Face layout). */
export function loadPretrained(dir: string): GPT2LMHeadModel {
  // TODO: 1. read the checkpoint in dir (config.json and model.safetensors)
  //       2. build the config from config.json, and a model without drawing random numbers
  //       3. load the converted weights into it, assigning the tensors (no copies)
  throw notImplemented("15", `loadPretrained: read ${dir} and load its weights into a GPT2LMHeadModel`);
}
