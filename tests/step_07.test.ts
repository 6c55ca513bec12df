// Step 07 · Q/K/V projections — checks.
import { GPT2Config } from "../solutions/solution_01.ts";
import { Random, randn } from "../lib/random.ts";
import { zeros } from "../lib/tensor.ts";
import { loadFixture } from "./fixtures.ts";
import {
  checksFor,
  expectClose,
  expectCount,
  expectError,
  expectParameters,
  expectShape,
  loadStep,
} from "./harness.ts";

type Step = typeof import("../solutions/solution_07.ts");
const { QKVProjection, splitQKV } = await loadStep<Step>("07");
const check = checksFor("07");
const fx = loadFixture("step_07");
const tiny = new GPT2Config(fx.config);

function loaded() {
  const proj = new QKVProjection(tiny);
  proj.loadStateDict({ "c_attn.weight": fx.f32("c_attn.weight"), "c_attn.bias": fx.f32("c_attn.bias") });
  return proj;
}

check(
  "parameters: c_attn 768→2304, 1,771,776 in all",
  { section: "One projection for three", hint: "c_attn = new Linear(n_embd, 3 * n_embd)." },
  () => {
    const proj = new QKVProjection(new GPT2Config());
    expectParameters("QKVProjection(gpt2)", proj, { "c_attn.weight": [2304, 768], "c_attn.bias": [2304] });
    expectCount("QKVProjection(gpt2).numParameters()", proj.numParameters(), 1_771_776);
  },
);

check(
  "q, k, v match PyTorch (three consecutive blocks, in that order)",
  { section: "Splitting", hint: "q is columns 0…C−1 of c_attn's output, k is C…2C−1, v is 2C…3C−1." },
  () => {
    const { q, k, v } = loaded().forward(fx.f32("x"));
    expectClose("q", q, fx.f32("q"), fx.tolerance);
    expectClose("k", k, fx.f32("k"), fx.tolerance);
    expectClose("v", v, fx.f32("v"), fx.tolerance);
  },
);

check(
  "q, k, v are [B, T, n_embd] for several batches and lengths",
  { section: "Splitting", hint: "Split along the last axis only." },
  () => {
    const proj = loaded();
    for (const [B, T] of [
      [1, 1],
      [3, 7],
    ]) {
      const { q, k, v } = proj.forward(randn([B, T, 16], new Random(7)));
      for (const [name, t] of [
        ["q", q],
        ["k", k],
        ["v", v],
      ] as const)
        expectShape(`${name} for x of shape [${B}, ${T}, 16]`, t, [B, T, 16]);
    }
  },
);

check(
  "splitQKV rejects a last dimension that is not 3 × n_embd",
  { section: "Splitting", hint: "Throw an error naming the expected width (3 × n_embd) and the shape you got." },
  async () => {
    await expectError("splitQKV(zeros([2, 3, 40]), 16)", () => splitQKV(zeros([2, 3, 40]), 16), [/\b48\b/, /\b40\b/]);
  },
);

check(
  "rejects input of the wrong width",
  { section: "One projection for three", hint: "c_attn checks that the input's last dimension is n_embd." },
  async () => {
    await expectError("QKVProjection(n_embd 16).forward(zeros([1, 2, 8]))", () => loaded().forward(zeros([1, 2, 8])), [
      /\b16\b/,
      /\b8\b/,
    ]);
  },
);
