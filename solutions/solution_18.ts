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
 * Whole-tensor operations, as step 04's forward: F.tanh runs in the kernels (Math.tanh costs ~40 ns a number).
 */
export function geluBackward(x: Tensor, dout: Tensor): Tensor {
  const square = F.mul(x, x);
  const t = F.tanh(F.mul(F.mul(x, F.add(F.mul(square, 0.044715), 1)), C)); // tanh u
  const du = F.mul(F.add(F.mul(square, 3 * 0.044715), 1), C); // du/dx
  const sech2 = F.add(F.mul(F.mul(t, t), -1), 1); // 1 − t², the derivative of tanh
  // product rule: the 0.5·(1 + tanh u) factor, plus x times the derivative of tanh u
  const derivative = F.add(F.mul(F.add(t, 1), 0.5), F.mul(F.mul(F.mul(x, 0.5), sech2), du));
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
