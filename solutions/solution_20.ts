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
  h: Tensor; // after the attention residual (ln_2's input)
  ln2: Tensor; // c_fc's input
  fc: Tensor; // gelu's input
  act: Tensor; // mlp.c_proj's input
}

export interface Activations {
  ids: IntTensor;
  blocks: BlockActivations[];
  final: Tensor; // ln_f's input
  hidden: Tensor; // lm_head's input
}

/** model.forward(ids), keeping what the backward pass needs. */
export function forwardForTraining(
  model: GPT2LMHeadModel,
  ids: IntTensor,
): { logits: Tensor; activations: Activations } {
  const { transformer: t, config } = model;
  let x = F.add(t.wte.forward(ids), t.wpe.forward(ids.shape[1]));
  const blocks: BlockActivations[] = [];
  for (const block of t.h) {
    const ln1 = block.ln_1.forward(x);
    const heads = (z: Tensor) => splitHeads(z, config.n_head);
    const { q, k, v } = splitQKV(block.attn.c_attn.forward(ln1), config.n_embd);
    const [qh, kh, vh] = [heads(q), heads(k), heads(v)];
    const { output, weights } = attention(qh, kh, vh);
    const merged = mergeHeads(output);
    const h = F.add(x, block.attn.c_proj.forward(merged));
    const ln2 = block.ln_2.forward(h);
    const fc = block.mlp.c_fc.forward(ln2);
    const act = gelu(fc);
    blocks.push({ x, ln1, q: qh, k: kh, v: vh, weights, merged, h, ln2, fc, act });
    x = F.add(h, block.mlp.c_proj.forward(act));
  }
  const hidden = t.ln_f.forward(x);
  return { logits: model.lm_head.forward(hidden), activations: { ids, blocks, final: x, hidden } };
}

/**
 * The gradient of the loss for every parameter, by the names of model.stateDict(), given
 * dlogits = d loss / d logits. The tied lm_head.weight and transformer.wte.weight share one gradient.
 */
export function backward(model: GPT2LMHeadModel, activations: Activations, dlogits: Tensor): Record<string, Tensor> {
  const { transformer: t, config } = model;
  const grads: Record<string, Tensor> = {};
  // The head: hidden·Wᵀ with W the token table (no bias).
  const head = linearBackward(activations.hidden, model.lm_head.weight, dlogits);
  const lnf = layerNormBackward(activations.final, t.ln_f.weight, t.ln_f.eps, head.dx);
  grads["transformer.ln_f.weight"] = lnf.dweight;
  grads["transformer.ln_f.bias"] = lnf.dbias;

  let dx = lnf.dx; // d loss / d (the residual stream after the last block)
  for (let i = config.n_layer - 1; i >= 0; i--) {
    const block = t.h[i];
    const a = activations.blocks[i];
    const p = `transformer.h.${i}.`;
    // x_out = h + mlp(ln_2(h)): the gradient reaches h directly and through the MLP.
    const proj = linearBackward(a.act, block.mlp.c_proj.weight, dx);
    const fc = linearBackward(a.ln2, block.mlp.c_fc.weight, geluBackward(a.fc, proj.dx));
    const ln2 = layerNormBackward(a.h, block.ln_2.weight, block.ln_2.eps, fc.dx);
    const dh = F.add(dx, ln2.dx);
    // h = x + attn(ln_1(x)): the same join once more.
    const out = linearBackward(a.merged, block.attn.c_proj.weight, dh);
    const heads = attentionBackward(a.q, a.k, a.v, a.weights, splitHeads(out.dx, config.n_head)); // merge's backward is a split
    const dqkv = F.concat([mergeHeads(heads.dq), mergeHeads(heads.dk), mergeHeads(heads.dv)], -1); // split's is a concat
    const qkv = linearBackward(a.ln1, block.attn.c_attn.weight, dqkv);
    const ln1 = layerNormBackward(a.x, block.ln_1.weight, block.ln_1.eps, qkv.dx);
    dx = F.add(dh, ln1.dx);
    Object.assign(grads, {
      [`${p}ln_1.weight`]: ln1.dweight,
      [`${p}ln_1.bias`]: ln1.dbias,
      [`${p}attn.c_attn.weight`]: qkv.dweight,
      [`${p}attn.c_attn.bias`]: qkv.dbias,
      [`${p}attn.c_proj.weight`]: out.dweight,
      [`${p}attn.c_proj.bias`]: out.dbias,
      [`${p}ln_2.weight`]: ln2.dweight,
      [`${p}ln_2.bias`]: ln2.dbias,
      [`${p}mlp.c_fc.weight`]: fc.dweight,
      [`${p}mlp.c_fc.bias`]: fc.dbias,
      [`${p}mlp.c_proj.weight`]: proj.dweight,
      [`${p}mlp.c_proj.bias`]: proj.dbias,
    });
  }

  // x0 = wte[ids] + wpe[0 … T−1]: each row collects the gradient of every position that read it.
  const { ids } = activations;
  const [B, T] = ids.shape;
  const dwte = F.add(zeros(t.wte.weight.shape), head.dweight); // starts from its use as lm_head: tied
  const dwpe = zeros(t.wpe.weight.shape);
  for (let b = 0; b < B; b++)
    for (let s = 0; s < T; s++)
      for (let c = 0; c < config.n_embd; c++) {
        const g = dx.get(b, s, c);
        dwte.set(ids.get(b, s), c, dwte.get(ids.get(b, s), c) + g);
        dwpe.set(s, c, dwpe.get(s, c) + g);
      }
  grads["transformer.wte.weight"] = dwte;
  grads["transformer.wpe.weight"] = dwpe;
  grads["lm_head.weight"] = dwte; // the same tensor, the same gradient
  return grads;
}
