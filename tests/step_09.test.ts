// Step 09 · Multi-head attention — checks.
import { GPT2Config } from "../solutions/solution_01.ts";
import * as F from "../lib/functional.ts";
import { Random, randn } from "../lib/random.ts";
import { arange, clone, zeros } from "../lib/tensor.ts";
import { loadFixture } from "./fixtures.ts";
import { checksFor, expectCausal, expectClose, expectCount, expectEqual, expectError, expectParameters, expectShape, loadStep } from "./harness.ts";

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

check("parameters: c_attn 768→2304 and c_proj 768→768, 2,362,368 in all", { section: "The module", hint: "GPT2Attention has c_attn = Linear(n_embd, 3·n_embd) and c_proj = Linear(n_embd, n_embd)." }, () => {
  const attn = new GPT2Attention(new GPT2Config());
  expectParameters("GPT2Attention(gpt2)", attn, { "c_attn.weight": [2304, 768], "c_attn.bias": [2304], "c_proj.weight": [768, 768], "c_proj.bias": [768] });
  expectCount("GPT2Attention(gpt2).numParameters()", attn.numParameters(), 2_362_368);
});

check("splitHeads: [B, T, C] → [B, H, T, D] with head h taking features h·D … h·D+D−1", { section: "Splitting heads", hint: "Reshape to [B, T, H, D] first, then permute to [B, H, T, D]; reshaping straight to [B, H, T, D] mixes positions." }, () => {
  const x = F.reshape(arange(2 * 3 * 8), [2, 3, 8]); // B 2, T 3, C 8 → H 2, D 4
  const heads = splitHeads(x, 2);
  expectShape("splitHeads(x [2, 3, 8], 2)", heads, [2, 2, 3, 4]);
  expectEqual("splitHeads(x)[1, 1, 2, :] (batch 1, head 1, position 2)", [0, 1, 2, 3].map((d) => heads.get(1, 1, 2, d)), [0, 1, 2, 3].map((d) => x.get(1, 2, 4 + d)));
});

check("mergeHeads undoes splitHeads", { section: "Merging heads", hint: "Permute [B, H, T, D] back to [B, T, H, D], then reshape to [B, T, H·D]." }, () => {
  const x = randn([2, 5, 16], new Random(9));
  expectClose("mergeHeads(splitHeads(x, 4))", mergeHeads(splitHeads(x, 4)), x, { atol: 0, rtol: 0 });
});

check("matches PyTorch (and nn.MultiheadAttention)", { section: "The module", hint: "c_attn → split q, k, v → split heads → attention per head → merge heads → c_proj. The scale is 1/√head_dim, not 1/√n_embd." }, () => {
  expectClose("GPT2Attention.forward(x)", loaded().forward(fx.f32("x")), fx.f32("y"), fx.tolerance);
});

check("changing a later token never changes an earlier output", { section: "The module", hint: "Each head must use the causal mask; attention from step 08 does that for [B, H, T, D]." }, () => {
  const attn = loaded();
  const x = randn([1, 6, 16], new Random(90));
  expectCausal("GPT2Attention", (t) => {
    const input = clone(x);
    if (t !== null) for (let c = 0; c < 16; c++) input.set(0, t, c, input.get(0, t, c) + 5);
    return attn.forward(input);
  }, 3);
});

check("output is [B, T, n_embd] for several batches and lengths", { section: "Merging heads", hint: "The merged heads have the input's shape again." }, () => {
  const attn = loaded();
  for (const [B, T] of [[1, 1], [3, 7]]) expectShape(`GPT2Attention.forward(x [${B}, ${T}, 16])`, attn.forward(randn([B, T, 16], new Random(B))), [B, T, 16]);
});

check("rejects input of the wrong width", { section: "The module", hint: "c_attn checks the width; pass x through it first." }, async () => {
  await expectError("GPT2Attention(n_embd 16).forward(zeros([1, 3, 12]))", () => loaded().forward(zeros([1, 3, 12])), [/\b16\b/, /\b12\b/]);
});
