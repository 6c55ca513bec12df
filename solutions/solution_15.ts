// Step 15 · Loading pretrained weights — reference solution.
// OpenAI's GPT-2 reaches us as a Hugging Face checkpoint. Its numbers are exactly what our
// model needs, but the names and layout differ in four ways this adapter fixes:
//   1. the original upload's keys lack the "transformer." prefix (wte.weight, h.0.…);
//   2. the attention layers carry causal-mask buffers (attn.bias, attn.masked_bias), not weights;
//   3. the four projection weights come from a Conv1D layer, stored [in, out] instead of [out, in];
//   4. the head has no weight of its own (or a copy): lm_head.weight is tied to transformer.wte.weight.
import { GPT2Config } from "./solution_01.ts";
import { GPT2LMHeadModel } from "./solution_13.ts";
import * as F from "../lib/functional.ts";
import { readCheckpoint } from "../lib/checkpoint.ts";
import { withoutInit } from "../lib/random.ts";
import { fmtShape, isTensor, type IntTensor, type Tensor } from "../lib/tensor.ts";

/** Hugging Face's Conv1D layers: weights stored [in, out]. */
const CONV1D_SUFFIXES = ["attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight"];
/** Buffers, not parameters: the causal mask our attention builds itself. */
const BUFFER_SUFFIXES = [".attn.bias", ".attn.masked_bias"];

export interface ConvertedState {
  /** Our GPT2LMHeadModel's state dict, ready for loadStateDict. */
  state: Record<string, Tensor>;
  /** Checkpoint keys that were deliberately not used, with the reason. */
  skipped: string[];
}

/** Maps a Hugging Face GPT-2 state dict onto GPT2LMHeadModel's parameter paths. */
export function convertHFStateDict(hf: Record<string, Tensor | IntTensor>): ConvertedState {
  const state: Record<string, Tensor> = {};
  const skipped: string[] = [];
  for (const [key, tensor] of Object.entries(hf)) {
    if (BUFFER_SUFFIXES.some((suffix) => key.endsWith(suffix))) {
      skipped.push(`${key} (attention mask buffer)`);
      continue;
    }
    if (key === "lm_head.weight") {
      skipped.push(`${key} (tied to transformer.wte.weight)`);
      continue;
    }
    if (!isTensor(tensor)) throw new TypeError(`convertHFStateDict: ${key} is not a float tensor`);
    const name = key.startsWith("transformer.") ? key : `transformer.${key}`;
    // A transposed view: [out, in] to our code, no numbers copied.
    state[name] = CONV1D_SUFFIXES.some((suffix) => key.endsWith(suffix)) ? F.transpose(tensor, 0, 1) : tensor;
  }
  const wte = state["transformer.wte.weight"];
  if (!wte)
    throw new Error(
      `convertHFStateDict: the checkpoint has no wte.weight (keys: ${Object.keys(hf).slice(0, 5).join(", ")}, …)`,
    );
  state["lm_head.weight"] = wte; // weight tying: the same tensor object
  return { state, skipped };
}

/** Builds GPT-2 from a folder with config.json and model.safetensors (Hugging Face layout). */
export function loadPretrained(dir: string): GPT2LMHeadModel {
  const { configJSON, weights } = readCheckpoint(dir);
  const config = GPT2Config.fromJSON(configJSON);
  // Zero-filled parameters that are never touched cost no memory; assign replaces them.
  const model = withoutInit(() => new GPT2LMHeadModel(config));
  const { state } = convertHFStateDict(weights.tensors);
  const wte = state["transformer.wte.weight"];
  if (wte.shape[0] !== config.vocab_size || wte.shape[1] !== config.n_embd) {
    throw new Error(
      `loadPretrained: wte.weight is ${fmtShape(wte.shape)} but config.json says [${config.vocab_size}, ${config.n_embd}]`,
    );
  }
  model.loadStateDict(state, { assign: true }); // strict: lists every missing, unexpected or misshapen key
  return model;
}
