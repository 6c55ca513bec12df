// Step 18 · Backward through a layer
// Read book/src/step_18.md, then replace each `throw notImplemented(...)` with your code.
// Check your work with:  npm run s18
// Stuck? npm run hint -- 18 gives three hints, each giving more away.
import * as F from "../lib/functional.ts";
import type { Tensor } from "../lib/tensor.ts";
import { notImplemented } from "../lib/todo.ts";

/** Backward of F.linear (lib/functional.ts): y = x·Wᵀ + b with weight [out, in]: dx = dout·W, dweight = Σ doutᵀ·x, dbias = Σ dout. */
export function linearBackward(
  x: Tensor,
  weight: Tensor,
  dout: Tensor,
): { dx: Tensor; dweight: Tensor; dbias: Tensor } {
  // TODO: x [..., in], weight [out, in], dout [..., out] →
  //       dx [..., in] (x's shape), dweight [out, in] and dbias [out], summed over every position.
  throw notImplemented(
    "18",
    `linearBackward: gradients for x [${x.shape}], weight [${weight.shape}], dout [${dout.shape}]`,
  );
}

/** Backward of step 04's gelu: its derivative, tanh form, times dout: d/dx of 0.5·x·(1 + tanh(u)) with u = √(2/π)·(x + 0.044715·x³). */
export function geluBackward(x: Tensor, dout: Tensor): Tensor {
  // TODO: GELU'(x) element by element, multiplied by dout; same shape as x.
  throw notImplemented("18", `geluBackward: the gradient for x [${x.shape}]`);
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
  // TODO: dx [..., dim] (x's shape), dweight [dim] and dbias [dim], summed over every position.
  throw notImplemented("18", `layerNormBackward: gradients for x [${x.shape}] and weight [${weight.shape}]`);
}
