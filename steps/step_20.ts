// Step 20 · Backward through the whole model
// Read book/src/step_20.md, then replace each `throw notImplemented(...)` with your code.
// Check your work with:  npm run s20
// Stuck? npm run hint -- 20 gives three hints, each giving more away.
import { gelu } from "#chain/step_04";
import { splitQKV } from "#chain/step_07";
import { attention } from "#chain/step_08";
import { mergeHeads, splitHeads } from "#chain/step_09";
import type { GPT2LMHeadModel } from "#chain/step_13";
import { geluBackward, layerNormBackward, linearBackward } from "#chain/step_18";
import { attentionBackward } from "#chain/step_19";
import * as F from "../lib/functional.ts";
import { zeros, type IntTensor, type Tensor } from "../lib/tensor.ts";
import { notImplemented } from "../lib/todo.ts";

/** One block's inputs to each of its layers, kept by the forward pass for the backward pass. */
interface BlockActivations {
  x: Tensor; // the block's input (ln_1's)
  ln1: Tensor; // c_attn's input
  q: Tensor; // [B, H, T, D], after splitHeads
  k: Tensor;
  v: Tensor;
  weights: Tensor; // attention weights [B, H, T, T]
  merged: Tensor; // attn.c_proj's input [B, T, C]
  residual: Tensor; // x + attention: ln_2's input
  ln2: Tensor; // c_fc's input
  fc: Tensor; // gelu's input
  act: Tensor; // mlp.c_proj's input
}

export interface Activations {
  ids: IntTensor;
  blocks: BlockActivations[];
  residual: Tensor; // the stream after the last block: ln_f's input
  lnf: Tensor; // ln_f's output: lm_head's input
}

/** model.forward(ids), keeping what the backward pass needs. */
export function forwardForTraining(
  model: GPT2LMHeadModel,
  ids: IntTensor,
): { logits: Tensor; activations: Activations } {
  // TODO: the forward pass of steps 12 and 13 written out layer by layer — embeddings, then for
  //       each block the inputs listed in BlockActivations, then ln_f and lm_head — returning the
  //       logits [B, T, vocab_size] and every kept input.
  throw notImplemented("20", `forwardForTraining: logits and activations for ids of shape [${ids.shape}]`);
}

/**
 * The gradient of the loss for every parameter, by the names of model.stateDict(), given
 * dlogits = d loss / d logits. The tied lm_head.weight and transformer.wte.weight share one gradient.
 */
export function backward(model: GPT2LMHeadModel, activations: Activations, dlogits: Tensor): Record<string, Tensor> {
  // TODO: from dlogits [B, T, vocab_size] down: lm_head, ln_f, then each block from the last to
  //       the first (its MLP branch, then its attention branch, the residual adding gradients),
  //       then wpe and wte (each id's row collects every occurrence, plus lm_head's gradient).
  //       One entry per name of model.stateDict(), each the shape of its parameter.
  throw notImplemented("20", `backward: gradients for logits of shape [${dlogits.shape}]`);
}
