// Step 02 · Causal masking
// Read book/src/step_02.md, then replace the `throw notImplemented(...)` with your code.
// Check your work with:  npm run s02
// Stuck? npm run hint -- 02 gives three hints, each giving more away.
import { notImplemented } from "../lib/todo.ts";
import { zeros, type Tensor } from "../lib/tensor.ts";

/**
 * The additive causal mask for `T` new tokens that follow `past` tokens already processed.
 * Shape [T, past + T]: 0 where query i may attend to key j (j ≤ past + i), −Infinity above.
 */
export function causalMask(T: number, past = 0): Tensor {
  // TODO: reject a T that is not a positive integer and a past that is not an integer ≥ 0
  //   (throw a RangeError that names the bad value).
  // TODO: start from zeros([T, past + T]) and set -Infinity where key j comes after
  //   query i's absolute position past + i.
  throw notImplemented("02", `causalMask(${T}, ${past}): build the [T, past + T] mask of 0 and -Infinity`);
}
