// Reads the golden fixtures written by scripts/make_fixtures.py (PyTorch).
import { readFileSync } from "node:fs";
import { parseSafetensors } from "../lib/safetensors.ts";
import ndarray from "ndarray";
import type { AnyTensor, IntTensor, Tensor } from "../lib/tensor.ts";
import { values, type Tolerance } from "./harness.ts";

export interface FixtureEntry {
  title: string;
  file: string;
  seed: number;
  config: Record<string, unknown>;
  tolerance: Tolerance;
  tensors: string[];
  mistakes: {
    name: string;
    description: string;
    distance_in_tolerances: number | "inf";
    outputs: Record<string, string>;
    tolerance?: string;
  }[];
}

/** Where a fixture tensor's numbers came from (keyed by its array, so views of it count too). */
const origins = new WeakMap<
  object,
  { entry: FixtureEntry; name: string; tensors: Record<string, Tensor | IntTensor> }
>();

/** Within tolerance everywhere, infinities matching exactly, and NaN where the mistake gives NaN too. */
function allClose(got: ArrayLike<number>, expected: ArrayLike<number>, { atol, rtol }: Tolerance): boolean {
  if (got.length !== expected.length) return false;
  for (let i = 0; i < got.length; i++) {
    if (got[i] === expected[i] || (Number.isNaN(got[i]) && Number.isNaN(expected[i]))) continue;
    const diff = Math.abs(got[i] - expected[i]);
    if (!(Number.isFinite(diff) && diff <= atol + rtol * Math.abs(expected[i]))) return false;
  }
  return true;
}

/**
 * When `got` (row-major values) matches the output PyTorch computed for one of the classic
 * mistakes recorded against the fixture tensor `expected`, that mistake's name and description.
 */
export function recognisedMistake(expected: AnyTensor, got: ArrayLike<number>): string | null {
  const origin = origins.get(expected.data);
  if (!origin) return null;
  for (const mistake of origin.entry.mistakes) {
    const key = mistake.outputs?.[origin.name];
    const output = key ? origin.tensors[key] : undefined;
    if (!output) continue;
    // The same view (a slice of positions, say) of the mistaken output as `expected` is of the reference;
    // a list (token ids, a tokenizer's output) may be longer or shorter than the reference: then all of it.
    const whole = expected.shape.length === 1 && origin.tensors[origin.name].shape[0] === expected.shape[0];
    const view = whole
      ? output
      : ndarray(output.data as Float32Array, [...expected.shape], [...expected.stride], expected.offset);
    const tol = mistake.tolerance ? (origin.entry.config[mistake.tolerance] as Tolerance) : origin.entry.tolerance;
    if (allClose(got, values(view), tol)) return `${mistake.name}: ${mistake.description}`;
  }
  return null;
}

const manifest = JSON.parse(readFileSync(new URL("fixtures/manifest.json", import.meta.url), "utf8")) as {
  steps: Record<string, FixtureEntry>;
};

export interface Fixture extends FixtureEntry {
  /** A float32 tensor by name. */
  f32(name: string): Tensor;
  /** An int32 tensor (token ids) by name. */
  i32(name: string): IntTensor;
  /** The float32 tensors named `prefix…`, keyed without the prefix: a state dict for loadStateDict. */
  module(prefix: string): Record<string, Tensor>;
  /** A GPT2LMHeadModel state dict: the `transformer.…` tensors plus lm_head.weight tied to wte. */
  lmHeadModel(): Record<string, Tensor>;
}

export function loadFixture(step: string): Fixture {
  const entry = manifest.steps[step];
  if (!entry)
    throw new Error(
      `no fixture "${step}" in tests/fixtures/manifest.json; run /usr/bin/python3 scripts/make_fixtures.py`,
    );
  const { tensors } = parseSafetensors(readFileSync(new URL(`fixtures/${entry.file}`, import.meta.url)));
  const get = (name: string, kind: typeof Float32Array | typeof Int32Array) => {
    const t = tensors[name];
    if (!t || !(t.data instanceof kind)) throw new Error(`fixture ${entry.file} has no ${kind.name} tensor "${name}"`);
    origins.set(t.data, { entry, name, tensors });
    return t;
  };
  const module = (prefix: string) =>
    Object.fromEntries(
      Object.entries(tensors)
        .filter(([name, t]) => name.startsWith(prefix) && t.data instanceof Float32Array)
        .map(([name, t]) => [name.slice(prefix.length), t as Tensor]),
    );
  const lmHeadModel = () => {
    const state = Object.fromEntries(Object.entries(module("transformer.")).map(([k, v]) => [`transformer.${k}`, v]));
    return { ...state, "lm_head.weight": state["transformer.wte.weight"] };
  };
  return {
    ...entry,
    f32: (name) => get(name, Float32Array) as Tensor,
    i32: (name) => get(name, Int32Array) as IntTensor,
    module,
    lmHeadModel,
  };
}
