// Step 21 · The optimizer — reference solution.
// A gradient says which way is downhill, not how far to go. AdamW keeps, for every parameter,
// running averages of its gradient (m, the direction) and of its square (v, the usual size), and
// steps by m/√v: the same step length for parameters whose gradients are large or tiny. Weight
// decay pulls 2-D weights gently towards zero, apart from the gradient ("decoupled").
// Clipping caps a batch's step when its gradient is unusually large; the schedule warms the
// learning rate up, then lets it decay along a cosine.
import type { Module } from "../lib/nn.ts";
import { contiguousData, type Tensor, writeContiguousData } from "../lib/tensor.ts";

export interface AdamWOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  /** Applied to 2-D weights only (see decays). */
  weightDecay?: number;
}

/** Weight decay applies to matrices (linear weights, embedding tables), not to biases and layer norms. */
export function decays(parameter: Tensor): boolean {
  return parameter.shape.length >= 2;
}

export class AdamW {
  /** Updates taken so far (the t of the bias correction). */
  step = 0;
  readonly lr: number;
  private readonly betas: [number, number];
  private readonly eps: number;
  private readonly weightDecay: number;
  /** Each distinct parameter once (a tied table is one tensor under two names), with its m and v. */
  private readonly slots: { name: string; parameter: Tensor; m: Float32Array; v: Float32Array }[] = [];

  constructor(model: Module, { lr, betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0.01 }: AdamWOptions) {
    this.lr = lr;
    this.betas = betas;
    this.eps = eps;
    this.weightDecay = weightDecay;
    const seen = new Set<Tensor>();
    for (const [name, parameter] of model.namedParameters()) {
      if (seen.has(parameter)) continue;
      seen.add(parameter);
      this.slots.push({ name, parameter, m: new Float32Array(parameter.size), v: new Float32Array(parameter.size) });
    }
  }

  /** One update of every parameter in place, from gradients by parameter name (as step 20 returns them). */
  update(grads: Record<string, Tensor>, lr = this.lr): void {
    this.step++;
    const [beta1, beta2] = this.betas;
    const correction1 = 1 - beta1 ** this.step; // m and v start at 0: early averages are too small
    const correction2 = 1 - beta2 ** this.step;
    // m̂ = m/correction1 and √v̂ = √v/√correction2, folded into two numbers per step (as PyTorch
    // does): one division and one square root per parameter instead of three and one.
    const stepSize = lr / correction1;
    const inverseRoot2 = 1 / Math.sqrt(correction2);
    const eps = this.eps;
    for (const { name, parameter, m, v } of this.slots) {
      const grad = grads[name];
      if (!grad) throw new Error(`AdamW.update: no gradient for ${name}`);
      const keep = 1 - (decays(parameter) ? lr * this.weightDecay : 0); // p − lr·wd·p = keep·p
      // Element i in row-major order: the tensor's own memory when contiguous, else a copy of a
      // view's elements (e.g. a transposed weight, element [r, c] not at r·C + c), written back below.
      const p = contiguousData(parameter);
      const g = contiguousData(grad);
      for (let i = 0; i < p.length; i++) {
        const gi = g[i];
        const mi = beta1 * m[i] + (1 - beta1) * gi;
        const vi = beta2 * v[i] + (1 - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = keep * p[i] - (stepSize * mi) / (Math.sqrt(vi) * inverseRoot2 + eps);
      }
      writeContiguousData(parameter, p); // nothing to do when p is the parameter's own memory
    }
  }
}

/**
 * Scales every gradient down in place when their joint L2 norm exceeds maxNorm, and returns the
 * norm from before. A tied gradient (one tensor under two names) counts once.
 */
export function clipGradNorm(grads: Record<string, Tensor>, maxNorm: number): number {
  const distinct = [...new Set(Object.values(grads))];
  let sum = 0;
  for (const g of distinct) {
    const data = contiguousData(g); // the elements themselves, or a copy of a view's in order
    for (let i = 0; i < data.length; i++) sum += data[i] * data[i];
  }
  const norm = Math.sqrt(sum);
  if (norm > maxNorm) {
    const scale = maxNorm / (norm + 1e-6);
    for (const g of distinct) {
      const data = contiguousData(g);
      for (let i = 0; i < data.length; i++) data[i] *= scale;
      writeContiguousData(g, data);
    }
  }
  return norm;
}

export interface Schedule {
  maxLr: number;
  minLr: number;
  warmup: number;
  total: number;
}

/** Linear warmup to maxLr over `warmup` steps, then a cosine down to minLr at `total`, and minLr after. */
export function learningRate(step: number, { maxLr, minLr, warmup, total }: Schedule): number {
  if (step < warmup) return (maxLr * (step + 1)) / warmup;
  if (step >= total) return minLr;
  const progress = (step - warmup) / (total - warmup);
  return minLr + 0.5 * (maxLr - minLr) * (1 + Math.cos(Math.PI * progress));
}
