// Step 21 · The optimizer
// Read book/src/step_21.md, then replace each `throw notImplemented(...)` with your code.
// Check your work with:  npm run s21
// Stuck? npm run hint -- 21 gives three hints, each giving more away.
import type { Module } from "../lib/nn.ts";
import { contiguousData, forEachIndex, type Tensor, writeContiguousData } from "../lib/tensor.ts";
import { notImplemented } from "../lib/todo.ts";

export interface AdamWOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  /** Applied to 2-D weights only (see decays). */
  weightDecay?: number;
}

/** Weight decay applies to matrices (linear weights, embedding tables), not to biases and layer norms. */
export function decays(parameter: Tensor): boolean {
  // TODO: true for parameters of two or more dimensions.
  throw notImplemented("21", `decays: whether a parameter of shape [${parameter.shape}] gets weight decay`);
}

export class AdamW {
  /** Updates taken so far (the t of the bias correction). */
  step = 0;
  readonly lr: number;

  constructor(model: Module, { lr, betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0.01 }: AdamWOptions) {
    this.lr = lr;
    // TODO: remember the options, and for each distinct parameter of model.namedParameters()
    //       (a tied table appears under two names: keep it once) its name and two zero-filled
    //       Float32Arrays of its size: m and v.
    throw notImplemented(
      "21",
      `AdamW constructor: state for the model's parameters (lr ${lr}, betas ${betas}, eps ${eps}, weight decay ${weightDecay})`,
    );
  }

  /** One update of every parameter in place, from gradients by parameter name (as step 20 returns them). */
  update(grads: Record<string, Tensor>, lr = this.lr): void {
    // TODO: count the step; for each parameter: update m and v with its gradient, correct their
    //       bias (they start at 0), decay 2-D parameters by lr·weightDecay, and step by
    //       lr·m̂/(√v̂ + eps), with this lr (the schedule's; the constructor's is only its default).
    //       Change the parameter's numbers in place: the model holds that tensor (maybe a view).
    throw notImplemented("21", `AdamW.update: one step over ${Object.keys(grads).length} gradients at lr ${lr}`);
  }
}

/**
 * Scales every gradient down in place when their joint L2 norm exceeds maxNorm, and returns the
 * norm from before. A tied gradient (one tensor under two names) counts once.
 */
export function clipGradNorm(grads: Record<string, Tensor>, maxNorm: number): number {
  // TODO: the L2 norm over every distinct gradient tensor; above maxNorm, scale them all by maxNorm / norm.
  throw notImplemented("21", `clipGradNorm: the norm of ${Object.keys(grads).length} gradients, clipped to ${maxNorm}`);
}

export interface Schedule {
  maxLr: number;
  minLr: number;
  warmup: number;
  total: number;
}

/** Linear warmup to maxLr over `warmup` steps, then a cosine down to minLr at `total`, and minLr after. */
export function learningRate(step: number, { maxLr, minLr, warmup, total }: Schedule): number {
  // TODO: the learning rate for this step (counted from 0).
  throw notImplemented(
    "21",
    `learningRate: the rate at step ${step} (warmup ${warmup}, total ${total}, ${maxLr} → ${minLr})`,
  );
}
