// Step 18 · Backward through a layer — reference solution.
// Each function takes what the layer's forward pass read (its input and weights) and the
// gradient of the loss with respect to its output (dout), and returns the gradient with respect
// to its input (dx, which flows on to the layer below) and to its parameters (which the
// optimizer will use). Leading axes ([B, T, …]) are positions: parameter gradients sum over them.
import * as F from "../lib/functional.ts";
import { ones, type Tensor } from "../lib/tensor.ts";

/** Backward of F.linear (lib/functional.ts): y = x·Wᵀ + b with weight [out, in]: dx = dout·W, dweight = Σ doutᵀ·x, dbias = Σ dout. */
export function linearBackward(
  x: Tensor,
  weight: Tensor,
  dout: Tensor,
): { dx: Tensor; dweight: Tensor; dbias: Tensor } {
  const [out, inner] = weight.shape;
  const d = F.reshape(dout, [-1, out]); // every position as a row: [N, out]
  const dx = F.matmul(d, weight); // [N, out]·[out, in] → [N, in]
  const dweight = F.matmul(F.transpose(d, 0, 1), F.reshape(x, [-1, inner])); // [out, N]·[N, in]
  // Σ over positions, as a product: a row of N ones times dout [N, out] (no transposed copy of dout).
  const dbias = F.reshape(F.matmul(ones([1, d.shape[0]]), d), [out]);
  return { dx: F.reshape(dx, x.shape), dweight, dbias };
}

const C = Math.sqrt(2 / Math.PI);

/**
 * Backward of step 04's gelu: its derivative, tanh form, times dout: d/dx of 0.5·x·(1 + tanh(u)) with u = √(2/π)·(x + 0.044715·x³).
 * One number at a time in float64: where tanh u is within float32's rounding of ±1 (|x| ≳ 4), 1 − t² has
 * few digits left, and float32 tensor operations lose them. tanh comes from Math.exp, which V8
 * computes in about half Math.tanh's time.
 */
export function geluBackward(x: Tensor, dout: Tensor): Tensor {
  const derivative = F.map(x, (v) => {
    // tanh u = 1 − 2/(e^(2u) + 1)
    const t = 1 - 2 / (Math.exp(2 * C * (v + 0.044715 * v * v * v)) + 1);
    // product rule: the 0.5·(1 + tanh u) factor, plus x times the derivative of tanh u
    return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * C * (1 + 3 * 0.044715 * v * v);
  });
  return F.mul(derivative, dout);
}

/**
 * Backward of step 03's LayerNorm.forward: y = x̂·weight + bias with x̂ = (x − mean)/√(var + eps) over the
 * last axis. With dx̂ = dout·weight:
 * dx = (dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) / √(var + eps); dweight = Σ dout·x̂; dbias = Σ dout.
 */
export function layerNormBackward(
  x: Tensor,
  weight: Tensor,
  eps: number,
  dout: Tensor,
): { dx: Tensor; dweight: Tensor; dbias: Tensor } {
  const std = F.sqrt(F.add(F.variance(x), eps)); // [..., 1]
  const xhat = F.div(F.sub(x, F.mean(x)), std);
  const dxhat = F.mul(dout, weight);
  const dx = F.div(F.sub(F.sub(dxhat, F.mean(dxhat)), F.mul(xhat, F.mean(F.mul(dxhat, xhat)))), std);
  const dim = weight.shape[0];
  const positions = (t: Tensor) => F.transpose(F.reshape(t, [-1, dim]), 0, 1); // [dim, N]
  return {
    dx,
    dweight: F.reshape(F.sum(positions(F.mul(dout, xhat))), [dim]),
    dbias: F.reshape(F.sum(positions(dout)), [dim]),
  };
}
