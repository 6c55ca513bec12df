// A checkpoint whose weights hold NaN or ±∞ gives NaN logits, and a sampler then draws the same
// token forever. Scanning every weight on loading would add most of a second to a 124M load, so
// the tools run one token through the model instead (a few milliseconds), and only when its
// logits are not finite look for the tensor to name.
import { CheckpointError } from "../../lib/checkpoint.ts";
import type { Module } from "../../lib/nn.ts";
import { intTensor, type Tensor } from "../../lib/tensor.ts";

/** Throws a CheckpointError naming the first non-finite weight when the model's logits for one token are not finite. */
export function refuseNonFiniteWeights(
  model: Module & { forward(ids: ReturnType<typeof intTensor>): Tensor },
  dir: string,
): void {
  const logits = model.forward(intTensor([[0]])).data;
  if (logits.every((v) => Number.isFinite(v))) return;
  for (const [name, t] of model.namedParameters()) {
    const i = t.data.subarray(t.offset, t.offset + t.size).findIndex((v) => !Number.isFinite(v));
    if (i >= 0)
      throw new CheckpointError(
        `${dir}: ${name} holds ${t.data[t.offset + i]} (element ${i}): the weights are damaged (a training run that diverged?).`,
      );
  }
  throw new CheckpointError(
    `${dir}: the model's logits are not finite although every weight is: its sizes overflow float32?`,
  );
}
