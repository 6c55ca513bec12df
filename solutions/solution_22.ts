// Step 22 · The training loop — reference solution.
// Everything from steps 17–21, put to work: cut random windows from a stream of tokens, run the
// model forward and backward on them, clip, update, and now and then measure the loss on text
// the model never trains on, and save a checkpoint that step 15 (and Hugging Face) can load.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { GPT2LMHeadModel } from "./solution_13.ts";
import { crossEntropy, crossEntropyBackward, nextTokenTargets } from "./solution_17.ts";
import { backward, forwardForTraining } from "./solution_20.ts";
import { clipGradNorm, type AdamW } from "./solution_21.ts";
import * as F from "../lib/functional.ts";
import type { Random } from "../lib/random.ts";
import { writeSafetensors } from "../lib/safetensors.ts";
import { intTensor, type IntTensor, type Tensor } from "../lib/tensor.ts";

/** B windows of T + 1 consecutive tokens, each starting at a random place in the stream: [B, T + 1]. */
export function randomBatch(tokens: Int32Array, B: number, T: number, rng: Random): IntTensor {
  if (tokens.length < T + 1)
    throw new RangeError(`randomBatch: a window needs ${T + 1} tokens, the stream has ${tokens.length}`);
  return intTensor(
    Array.from({ length: B }, () => {
      const start = Math.floor(rng.uniform() * (tokens.length - T)); // 0 … length − T − 1
      return Array.from(tokens.subarray(start, start + T + 1));
    }),
  );
}

export interface StepOptions {
  lr: number;
  /** The gradient norm above which gradients are scaled down. */
  clip: number;
}

/** One training step on a [B, T + 1] window: forward, loss, backward, clip, update. Returns the loss before the update and the gradient norm. */
export function trainStep(
  model: GPT2LMHeadModel,
  optimizer: AdamW,
  window: IntTensor,
  { lr, clip }: StepOptions,
): { loss: number; norm: number } {
  const { inputs, targets } = nextTokenTargets(window);
  const { logits, activations } = forwardForTraining(model, inputs);
  const loss = crossEntropy(logits, targets);
  const grads = backward(model, activations, crossEntropyBackward(logits, targets));
  const norm = clipGradNorm(grads, clip);
  optimizer.update(grads, lr);
  return { loss, norm };
}

/** The mean loss over the stream cut into consecutive windows of T + 1 tokens (overlapping by one), B at a time; no update. */
export function evaluate(model: GPT2LMHeadModel, tokens: Int32Array, B: number, T: number): number {
  const count = Math.floor((tokens.length - 1) / T);
  if (count === 0) throw new RangeError(`evaluate: a window needs ${T + 1} tokens, the stream has ${tokens.length}`);
  let total = 0;
  for (let first = 0; first < count; first += B) {
    const rows = Array.from({ length: Math.min(B, count - first) }, (_, i) =>
      Array.from(tokens.subarray((first + i) * T, (first + i) * T + T + 1)),
    );
    const { inputs, targets } = nextTokenTargets(intTensor(rows));
    total += crossEntropy(model.forward(inputs), targets) * rows.length; // each batch's mean, weighted by its windows
  }
  return total / count;
}

/** Hugging Face's Conv1D layers store these weights as [in, out]: the transpose of Linear's. */
const CONV1D = ["attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight"];

/** Writes config.json and model.safetensors in Hugging Face's GPT-2 layout into `dir`. */
export function saveCheckpoint(model: GPT2LMHeadModel, dir: string, metadata: Record<string, string> = {}): void {
  const { vocab_size, n_positions, n_embd, n_layer, n_head, n_inner, layer_norm_epsilon } = model.config;
  mkdirSync(dir, { recursive: true });
  const tensors: Record<string, Tensor> = {};
  for (const [name, tensor] of Object.entries(model.stateDict())) {
    if (name === "lm_head.weight") continue; // tied: Hugging Face reads it from wte
    tensors[name] = CONV1D.some((suffix) => name.endsWith(suffix)) ? F.transpose(tensor, 0, 1) : tensor;
  }
  writeSafetensors(path.join(dir, "model.safetensors"), tensors, { format: "pt", ...metadata });
  const config = {
    model_type: "gpt2",
    architectures: ["GPT2LMHeadModel"],
    activation_function: "gelu_new",
    vocab_size,
    n_positions,
    n_ctx: n_positions,
    n_embd,
    n_layer,
    n_head,
    n_inner,
    layer_norm_epsilon,
    bos_token_id: 50256,
    eos_token_id: 50256,
    tie_word_embeddings: true,
  };
  writeFileSync(path.join(dir, "config.json"), `${JSON.stringify(config, null, 2)}\n`);
}
