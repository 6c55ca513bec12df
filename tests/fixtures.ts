// Reads the golden fixtures written by scripts/make_fixtures.py (PyTorch).
import { readFileSync } from "node:fs";
import { parseSafetensors } from "../lib/safetensors.ts";
import type { IntTensor, Tensor } from "../lib/tensor.ts";
import type { Tolerance } from "./harness.ts";

export interface FixtureEntry {
  title: string;
  file: string;
  seed: number;
  config: Record<string, unknown>;
  tolerance: Tolerance;
  tensors: string[];
  mistakes: { name: string; description: string; distance_in_tolerances: number | "inf" }[];
}

const manifest = JSON.parse(readFileSync(new URL("fixtures/manifest.json", import.meta.url), "utf8")) as { steps: Record<string, FixtureEntry> };

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
  if (!entry) throw new Error(`no fixture "${step}" in tests/fixtures/manifest.json; run /usr/bin/python3 scripts/make_fixtures.py`);
  const { tensors } = parseSafetensors(readFileSync(new URL(`fixtures/${entry.file}`, import.meta.url)));
  const get = (name: string, kind: Function) => {
    const t = tensors[name];
    if (!t || !(t.data instanceof kind)) throw new Error(`fixture ${entry.file} has no ${kind.name} tensor "${name}"`);
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
  return { ...entry, f32: (name) => get(name, Float32Array) as Tensor, i32: (name) => get(name, Int32Array) as IntTensor, module, lmHeadModel };
}
