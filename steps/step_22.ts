// Step 22 · The training loop
// Read book/src/step_22.md, then replace each `throw notImplemented(...)` with your code.
// Check your work with:  npm run s22
// Stuck? npm run hint -- 22 gives three hints, each giving more away.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { GPT2LMHeadModel } from "#chain/step_13";
import { crossEntropy, crossEntropyBackward, nextTokenTargets } from "#chain/step_17";
import { backward, forwardForTraining } from "#chain/step_20";
import { clipGradNorm, type AdamW } from "#chain/step_21";
import * as F from "../lib/functional.ts";
import type { Random } from "../lib/random.ts";
import { writeSafetensors } from "../lib/safetensors.ts";
import { intTensor, type IntTensor, type Tensor } from "../lib/tensor.ts";
import { notImplemented } from "../lib/todo.ts";

/** B windows of T + 1 consecutive tokens, each starting at a random place in the stream: [B, T + 1]. */
export function randomBatch(tokens: Int32Array, B: number, T: number, rng: Random): IntTensor {
  // TODO: refuse a stream shorter than T + 1 tokens (a RangeError naming both numbers); then B
  //       rows, each the T + 1 tokens from a start drawn uniformly from 0 … length − T − 1 (rng.uniform()).
  throw notImplemented("22", `randomBatch: ${B} windows of ${T + 1} tokens from a stream of ${tokens.length}`);
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
  // TODO: steps 17, 20 and 21 in order: inputs and targets, forward keeping activations, the loss,
  //       every gradient, clipping, and one optimizer update at this lr.
  throw notImplemented("22", `trainStep: one step on a window of shape [${window.shape}] at lr ${lr}, clip ${clip}`);
}

/** The mean loss over the stream cut into consecutive windows of T + 1 tokens (overlapping by one), B at a time; no update. */
export function evaluate(model: GPT2LMHeadModel, tokens: Int32Array, B: number, T: number): number {
  // TODO: windows i·T … i·T + T for i = 0 … ⌊(length − 1)/T⌋ − 1, in batches of at most B; the
  //       mean loss over every window (plain model.forward: nothing is kept or updated).
  throw notImplemented("22", `evaluate: the mean loss over ${tokens.length} tokens in windows of ${T + 1}`);
}

/** Hugging Face's Conv1D layers store these weights as [in, out]: the transpose of Linear's. */
const CONV1D = ["attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight"];

/** Writes config.json and model.safetensors in Hugging Face's GPT-2 layout into `dir`. */
export function saveCheckpoint(model: GPT2LMHeadModel, dir: string, metadata: Record<string, string> = {}): void {
  // TODO: 1. model.safetensors (writeSafetensors): every tensor of model.stateDict() under its name,
  //          except the tied lm_head.weight, with the CONV1D weights transposed back to [in, out]
  //       2. config.json: model_type "gpt2" and the config's sizes under Hugging Face's names
  throw notImplemented("22", `saveCheckpoint: write the model to ${dir}`);
}
