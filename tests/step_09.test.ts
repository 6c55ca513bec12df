// Step 09 · Multi-head attention — checks.
import { GPT2Config } from "../solutions/solution_01.ts";
import * as F from "../lib/functional.ts";
import { Random, randn } from "../lib/random.ts";
import { arange, clone, zeros, type Tensor } from "../lib/tensor.ts";
import { loadFixture } from "./fixtures.ts";
import {
  checksFor,
  expectCausal,
  expectClose,
  expectCount,
  expectError,
  expectParameters,
  expectShape,
  expectTrue,
  loadStep,
} from "./harness.ts";

type Step = typeof import("../solutions/solution_09.ts");
const { GPT2Attention, splitHeads, mergeHeads } = await loadStep<Step>("09");
const check = checksFor("09");
const fx = loadFixture("step_09");
const tiny = new GPT2Config(fx.config);

function loaded() {
  const attn = new GPT2Attention(tiny);
  attn.loadStateDict(fx.module("attn."));
  return attn;
}

check(
  "parameters: c_attn 768→2304 and c_proj 768→768, 2,362,368 in all",
  {
    section: "The module",
    hint: "GPT2Attention has c_attn = Linear(n_embd, 3·n_embd) and c_proj = Linear(n_embd, n_embd).",
  },
  () => {
    const attn = new GPT2Attention(new GPT2Config());
    expectParameters("GPT2Attention(gpt2)", attn, {
      "c_attn.weight": [2304, 768],
      "c_attn.bias": [2304],
      "c_proj.weight": [768, 768],
      "c_proj.bias": [768],
    });
    expectCount("GPT2Attention(gpt2).numParameters()", attn.numParameters(), 2_362_368);
  },
);

/** Every (b, h, t, d) where a [B, H, T, D] head tensor and its [B, T, H·D] merged form disagree; the first one found. */
function firstMismatch(heads: Tensor, merged: Tensor, [B, H, T, D]: number[], names: [string, string]): string | null {
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let t = 0; t < T; t++)
        for (let d = 0; d < D; d++) {
          if (heads.get(b, h, t, d) !== merged.get(b, t, h * D + d))
            return `${names[0]}[${b}, ${h}, ${t}, ${d}] is ${heads.get(b, h, t, d)} but ${names[1]}[${b}, ${t}, ${h * D + d}] is ${merged.get(b, t, h * D + d)}`;
        }
  return null;
}

check(
  "splitHeads: [B, T, C] → [B, H, T, D] with head h taking features h·D … h·D+D−1",
  {
    section: "Splitting heads",
    hint: "Reshape to [B, T, H, D] first, then permute to [B, H, T, D]; reshaping straight to [B, H, T, D] mixes positions.",
  },
  () => {
    const x = F.reshape(arange(2 * 3 * 8), [2, 3, 8]); // B 2, T 3, C 8 → H 2, D 4; every number says where it came from
    const heads = splitHeads(x, 2);
    expectShape("splitHeads(x [2, 3, 8], 2)", heads, [2, 2, 3, 4]);
    const wrong = firstMismatch(heads, x, [2, 2, 3, 4], ["splitHeads(x)", "x"]);
    expectTrue(
      "splitHeads(x)[b, h, t, d] should be x[b, t, h·D + d] for every b, h, t, d",
      wrong === null,
      `first difference: ${wrong}`,
    );
  },
);

check(
  "mergeHeads: [B, H, T, D] → [B, T, H·D], the inverse of splitHeads",
  { section: "Merging heads", hint: "Permute [B, H, T, D] back to [B, T, H, D], then reshape to [B, T, H·D]." },
  () => {
    const heads = F.reshape(arange(2 * 2 * 3 * 4), [2, 2, 3, 4]); // built directly, so this check does not depend on your splitHeads
    const merged = mergeHeads(heads);
    expectShape("mergeHeads(heads [2, 2, 3, 4])", merged, [2, 3, 8]);
    const wrong = firstMismatch(heads, merged, [2, 2, 3, 4], ["heads", "mergeHeads(heads)"]);
    expectTrue(
      "mergeHeads(heads)[b, t, h·D + d] should be heads[b, h, t, d] for every b, h, t, d",
      wrong === null,
      `first difference: ${wrong}`,
    );
  },
);

check(
  "matches PyTorch (and nn.MultiheadAttention)",
  {
    section: "The module",
    after: ["splitHeads", "mergeHeads"],
    hint: "c_attn → split q, k, v → split heads → attention per head → merge heads → c_proj. The scale is 1/√head_dim, not 1/√n_embd.",
  },
  () => {
    expectClose("GPT2Attention.forward(x)", loaded().forward(fx.f32("x")), fx.f32("y"), fx.tolerance);
  },
);

check(
  "changing a later token never changes an earlier output",
  {
    section: "The module",
    after: ["splitHeads", "mergeHeads"],
    hint: "Each head must use the causal mask; attention from step 08 does that for [B, H, T, D].",
  },
  () => {
    const attn = loaded();
    const x = randn([1, 6, 16], new Random(90));
    expectCausal(
      "GPT2Attention",
      (t) => {
        const input = clone(x);
        if (t !== null) for (let c = 0; c < 16; c++) input.set(0, t, c, input.get(0, t, c) + 5);
        return attn.forward(input);
      },
      3,
    );
  },
);

check(
  "output is [B, T, n_embd] for several batches and lengths",
  { section: "Merging heads", hint: "The merged heads have the input's shape again." },
  () => {
    const attn = loaded();
    for (const [B, T] of [
      [1, 1],
      [3, 7],
    ])
      expectShape(`GPT2Attention.forward(x [${B}, ${T}, 16])`, attn.forward(randn([B, T, 16], new Random(B))), [
        B,
        T,
        16,
      ]);
  },
);

check(
  "rejects input of the wrong width",
  { section: "The module", hint: "c_attn checks the width; pass x through it first." },
  async () => {
    await expectError(
      "GPT2Attention(n_embd 16).forward(zeros([1, 3, 12]))",
      () => loaded().forward(zeros([1, 3, 12])),
      [/\b16\b/, /\b12\b/],
    );
  },
);
