// Step 12 · Stacking blocks — checks.
import { GPT2Config } from "../solutions/solution_01.ts";
import { withoutInit } from "../lib/random.ts";
import { intTensor } from "../lib/tensor.ts";
import { loadFixture } from "./fixtures.ts";
import {
  blockParameters,
  checksFor,
  count,
  expectCausal,
  expectClose,
  expectCount,
  expectEqual,
  expectError,
  expectParameters,
  expectShape,
  loadStep,
} from "./harness.ts";

type Step = typeof import("../solutions/solution_12.ts");
const { GPT2Model } = await loadStep<Step>("12");
const check = checksFor("12");
const fx = loadFixture("step_12");
const tiny = new GPT2Config(fx.config);

function loaded() {
  const model = new GPT2Model(tiny);
  model.loadStateDict(fx.module("transformer."));
  return model;
}

const gpt2Keys = (C: number, layers: number, V: number, P: number) => ({
  "wte.weight": [V, C],
  "wpe.weight": [P, C],
  ...Object.assign({}, ...Array.from({ length: layers }, (_, i) => blockParameters(`h.${i}.`, C))),
  "ln_f.weight": [C],
  "ln_f.bias": [C],
});

check(
  `GPT-2 124M: Hugging Face's parameter paths, ${count(124_439_808)} parameters, ${count(85_054_464)} in the 12 blocks`,
  { section: "The model", hint: "Fields wte, wpe, h (a ModuleList of n_layer blocks), ln_f — in that order." },
  () => {
    const model = withoutInit(() => new GPT2Model(new GPT2Config()));
    expectParameters("GPT2Model(gpt2)", model, gpt2Keys(768, 12, 50257, 1024));
    expectCount("GPT2Model(gpt2).numParameters()", model.numParameters(), 124_439_808);
    expectCount(
      "the 12 blocks together",
      [...model.h].reduce((sum, block) => sum + block.numParameters(), 0),
      85_054_464,
    );
  },
);

check(
  "hidden states after the embeddings and after each block match PyTorch",
  { section: "Hidden states", hint: "Start from wte(ids) + wpe(T), then feed each block the previous block's output." },
  () => {
    const states = loaded().hiddenStates(fx.i32("ids"));
    expectEqual("number of hidden states (embeddings + one per block)", states.length, tiny.n_layer + 1);
    for (const [i, state] of states.entries())
      expectClose(
        i === 0 ? "embeddings (wte + wpe)" : `output of block ${i - 1}`,
        state,
        fx.f32(`hidden_${i}`),
        fx.tolerance,
      );
  },
);

check(
  "final output (after ln_f) matches PyTorch",
  {
    section: "The final layer norm",
    after: ["hidden states"],
    hint: "forward(ids) is ln_f applied to the last hidden state.",
  },
  () => {
    expectClose("GPT2Model.forward(ids)", loaded().forward(fx.i32("ids")), fx.f32("y"), fx.tolerance);
  },
);

check(
  "changing token t never changes the outputs before t",
  {
    section: "Hidden states",
    after: ["hidden states"],
    hint: "Causality holds for the whole stack when every block is causal.",
  },
  () => {
    const model = loaded();
    const ids = [3, 17, 42, 8, 0, 63];
    expectCausal("GPT2Model", (t) => model.forward(intTensor([ids.map((id, i) => (i === t ? (id + 1) % 64 : id))])), 3);
  },
);

check(
  "output is [B, T, n_embd] for several batches and lengths",
  { section: "The model", hint: "Token and position embeddings add up to [B, T, n_embd]; the blocks keep that shape." },
  () => {
    const model = loaded();
    for (const [B, T] of [
      [1, 1],
      [3, 16],
    ])
      expectShape(
        `GPT2Model.forward(ids [${B}, ${T}])`,
        model.forward(intTensor(Array.from({ length: B }, () => Array.from({ length: T }, (_, t) => t)))),
        [B, T, 16],
      );
  },
);

check(
  "a sequence longer than n_positions gives a clear error",
  {
    section: "The model",
    hint: "The position embedding (step 06) refuses positions ≥ n_positions; let its error through.",
  },
  async () => {
    await expectError(
      "GPT2Model(n_positions 16).forward(ids of length 17)",
      () => loaded().forward(intTensor([Array.from({ length: 17 }, () => 1)])),
      [/\b17\b/, /\b16\b/],
    );
  },
);
