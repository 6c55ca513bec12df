// Step 20 · Backward through the whole model — reference solution.
// The forward pass of steps 12–13 once more, keeping every layer's input, then the backward
// pass from the logits down to the embeddings with steps 18 and 19's functions. Two places
// join gradients: the residual stream (the gradient flows past each block and through it, and
// the two add) and the tied table (its gradient as lm_head plus its gradient as wte).
import { gelu } from "./solution_04.ts";
import { splitQKV } from "./solution_07.ts";
import { attention } from "./solution_08.ts";
import { mergeHeads, splitHeads } from "./solution_09.ts";
import type { GPT2LMHeadModel } from "./solution_13.ts";
import { geluBackward, layerNormBackward, linearBackward } from "./solution_18.ts";
import { attentionBackward } from "./solution_19.ts";
import * as F from "../lib/functional.ts";
import { zeros, type IntTensor, type Tensor } from "../lib/tensor.ts";

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
  const { transformer, config } = model;
  let x = F.add(transformer.wte.forward(ids), transformer.wpe.forward(ids.shape[1]));
  const blocks: BlockActivations[] = [];
  for (const block of transformer.h) {
    const ln1 = block.ln_1.forward(x);
    const heads = (z: Tensor) => splitHeads(z, config.n_head);
    const { q, k, v } = splitQKV(block.attn.c_attn.forward(ln1), config.n_embd);
    const [qh, kh, vh] = [heads(q), heads(k), heads(v)];
    const { output, weights } = attention(qh, kh, vh);
    const merged = mergeHeads(output);
    const residual = F.add(x, block.attn.c_proj.forward(merged));
    const ln2 = block.ln_2.forward(residual);
    const fc = block.mlp.c_fc.forward(ln2);
    const act = gelu(fc);
    blocks.push({ x, ln1, q: qh, k: kh, v: vh, weights, merged, residual, ln2, fc, act });
    x = F.add(residual, block.mlp.c_proj.forward(act));
  }
  const lnf = transformer.ln_f.forward(x);
  return { logits: model.lm_head.forward(lnf), activations: { ids, blocks, residual: x, lnf } };
}

/** A layer's two gradients under its parameter names: `${prefix}weight` and `${prefix}bias`. */
function named(prefix: string, { dweight, dbias }: { dweight: Tensor; dbias: Tensor }): Record<string, Tensor> {
  return { [`${prefix}weight`]: dweight, [`${prefix}bias`]: dbias };
}

/**
 * The gradient of the loss for every parameter, by the names of model.stateDict(), given
 * dlogits = d loss / d logits. The tied lm_head.weight and transformer.wte.weight share one gradient.
 * Uses up activations.blocks: each forwardForTraining serves one backward.
 */
export function backward(model: GPT2LMHeadModel, activations: Activations, dlogits: Tensor): Record<string, Tensor> {
  const { transformer, config } = model;
  // The head: lnf·Wᵀ with W the token table (no bias).
  const head = linearBackward(activations.lnf, model.lm_head.weight, dlogits);
  const lnf = layerNormBackward(activations.residual, transformer.ln_f.weight, transformer.ln_f.eps, head.dx);
  const grads = named("transformer.ln_f.", lnf);

  let dx = lnf.dx; // d loss / d (the residual stream after the last block)
  for (let i = config.n_layer - 1; i >= 0; i--) {
    const block = transformer.h[i];
    // Each block's activations serve once, last block first, as i counts down: pop lets them go
    // as soon as they have, so the gradients grow while the activations shrink (PyTorch's
    // backward frees its saved tensors the same way, which is why a second loss.backward() fails).
    const a = activations.blocks.pop()!;
    const p = `transformer.h.${i}.`;
    // x_out = residual + mlp(ln_2(residual)): the gradient reaches residual directly and through the MLP.
    const proj = linearBackward(a.act, block.mlp.c_proj.weight, dx);
    const fc = linearBackward(a.ln2, block.mlp.c_fc.weight, geluBackward(a.fc, proj.dx));
    const ln2 = layerNormBackward(a.residual, block.ln_2.weight, block.ln_2.eps, fc.dx);
    const dresidual = F.add(dx, ln2.dx);
    // residual = x + attn(ln_1(x)): the same join once more.
    const out = linearBackward(a.merged, block.attn.c_proj.weight, dresidual);
    const heads = attentionBackward(a.q, a.k, a.v, a.weights, splitHeads(out.dx, config.n_head)); // merge's backward is a split
    const dqkv = F.concat([mergeHeads(heads.dq), mergeHeads(heads.dk), mergeHeads(heads.dv)], -1); // split's is a concat
    const qkv = linearBackward(a.ln1, block.attn.c_attn.weight, dqkv);
    const ln1 = layerNormBackward(a.x, block.ln_1.weight, block.ln_1.eps, qkv.dx);
    dx = F.add(dresidual, ln1.dx);
    Object.assign(
      grads,
      named(`${p}ln_1.`, ln1),
      named(`${p}attn.c_attn.`, qkv),
      named(`${p}attn.c_proj.`, out),
      named(`${p}ln_2.`, ln2),
      named(`${p}mlp.c_fc.`, fc),
      named(`${p}mlp.c_proj.`, proj),
    );
  }

  // x0 = wte[ids] + wpe[0 … T−1]: each row collects the gradient of every position that read it.
  const { ids } = activations;
  const [B, T] = ids.shape;
  const dwte = head.dweight; // tied: starts from its use as lm_head (a fresh result, ours to add to)
  const dwpe = zeros(transformer.wpe.weight.shape);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++)
      for (let c = 0; c < config.n_embd; c++) {
        const g = dx.get(b, t, c);
        dwte.set(ids.get(b, t), c, dwte.get(ids.get(b, t), c) + g);
        dwpe.set(t, c, dwpe.get(t, c) + g);
      }
  grads["transformer.wte.weight"] = dwte;
  grads["transformer.wpe.weight"] = dwpe;
  grads["lm_head.weight"] = dwte; // the same tensor, the same gradient
  return grads;
}
