// Step 20 · Backward through the whole model — checks.
import { GPT2Config } from "../solutions/solution_01.ts";
import { GPT2LMHeadModel } from "../solutions/solution_13.ts";
import { withoutInit } from "../lib/random.ts";
import { loadFixture } from "./fixtures.ts";
import { checksFor, expectClose, expectEqual, loadStep } from "./harness.ts";

type Step = typeof import("../solutions/solution_20.ts");
const { backward, forwardForTraining } = await loadStep<Step>("20");
const check = checksFor("20");
const fx = loadFixture("step_20");
const autograd = "torch.autograd";

function model() {
  const m = withoutInit(() => new GPT2LMHeadModel(new GPT2Config(fx.config)));
  m.loadStateDict(fx.lmHeadModel());
  return m;
}

/** The gradients of the fixture's batch, from the learner's forward and backward passes. */
function gradients() {
  const m = model();
  const { activations } = forwardForTraining(m, fx.i32("ids"));
  return backward(m, activations, fx.f32("dlogits"));
}

const expectGradients = (names: string[]) => {
  const grads = gradients();
  for (const name of names)
    expectClose(`the gradient of ${name}`, grads[name], fx.f32(`grad.${name}`), fx.tolerance, autograd);
};

check(
  "forwardForTraining returns the model's logits (and keeps what the backward pass needs)",
  {
    section: "Keeping the activations",
    hint: "The same computation as model.forward(ids), written out layer by layer so each layer's input can be kept.",
  },
  () => {
    const { logits } = forwardForTraining(model(), fx.i32("ids"));
    expectClose("forwardForTraining(model, ids).logits", logits, fx.f32("logits"), fx.tolerance);
  },
);

check(
  "backward returns a gradient for every parameter name of model.stateDict(), each of its parameter's shape",
  {
    section: "The backward pass",
    hint: "One entry per name, lm_head.weight included (the same gradient as transformer.wte.weight). If it threw, the line above is where: compare the shape you pass there with the shape the forward pass had at that point.",
  },
  () => {
    const m = model();
    const grads = gradients();
    const shapes = (entries: [string, { shape: readonly number[] }][]) =>
      Object.fromEntries(entries.map(([n, t]) => [n, [...t.shape].join("×")]).sort(([a], [b]) => a.localeCompare(b)));
    expectEqual("gradient names and shapes", shapes(Object.entries(grads)), shapes(Object.entries(m.stateDict())));
  },
);

check(
  "the top of the model: ln_f and the last block's MLP match torch.autograd",
  {
    section: "The backward pass",
    hint: "dlogits through lm_head (linearBackward), ln_f (layerNormBackward), then the blocks from the last to the first, each MLP first: c_proj, gelu, c_fc, ln_2.",
  },
  () =>
    expectGradients([
      "transformer.ln_f.weight",
      "transformer.ln_f.bias",
      "transformer.h.1.mlp.c_proj.weight",
      "transformer.h.1.mlp.c_fc.weight",
      "transformer.h.1.mlp.c_fc.bias",
      "transformer.h.1.ln_2.weight",
    ]),
);

check(
  "the last block's attention matches torch.autograd",
  {
    section: "The backward pass",
    after: ["the top of the model"],
    hint: "The residual: the gradient reaching h is dx plus what comes back through the MLP. Then c_proj, split into heads (merge's backward), attentionBackward, merge q, k, v back and concatenate them (split's backward), c_attn, ln_1.",
  },
  () =>
    expectGradients([
      "transformer.h.1.attn.c_proj.weight",
      "transformer.h.1.attn.c_proj.bias",
      "transformer.h.1.attn.c_attn.weight",
      "transformer.h.1.attn.c_attn.bias",
      "transformer.h.1.ln_1.weight",
      "transformer.h.1.ln_1.bias",
    ]),
);

check(
  "the first block matches torch.autograd: the gradient flows past each block and through it",
  {
    section: "The residual stream",
    after: ["the top of the model", "the last block's attention"],
    hint: "Below each block, dx = (the gradient from above) + (what came back through the block's branches): the residual adds, so its gradient adds.",
  },
  () =>
    expectGradients([
      "transformer.h.0.mlp.c_fc.weight",
      "transformer.h.0.attn.c_attn.weight",
      "transformer.h.0.ln_1.weight",
      "transformer.h.0.ln_1.bias",
    ]),
);

check(
  "with 2 heads of 8 (head_dim ≠ n_head), c_attn's gradients still match torch.autograd",
  {
    section: "The backward pass",
    after: ["the first block"],
    hint: "The tiny model's 4 heads are 4 wide, which hides a mix-up: splitHeads takes the number of heads, config.n_head, not head_dim.",
  },
  () => {
    const m = withoutInit(() => new GPT2LMHeadModel(new GPT2Config({ ...fx.config, n_head: 2 })));
    m.loadStateDict(fx.lmHeadModel());
    const { activations } = forwardForTraining(m, fx.i32("ids"));
    const grads = backward(m, activations, fx.f32("heads2.dlogits"));
    for (const name of ["transformer.h.1.attn.c_attn.weight", "transformer.h.0.attn.c_attn.weight"])
      expectClose(
        `the gradient of ${name} with 2 heads`,
        grads[name],
        fx.f32(`heads2.grad.${name}`),
        fx.tolerance,
        autograd,
      );
  },
);

check(
  "wpe's gradient: each position row sums that position's gradient over the batch",
  {
    section: "Embeddings",
    after: ["the first block"],
    hint: "wpe row t was added at position t of every sequence, so it gets the sum over b of dx[b, t].",
  },
  () => expectGradients(["transformer.wpe.weight"]),
);

check(
  "wte's gradient: every occurrence of an id adds to its row, plus the head's gradient (tied)",
  {
    section: "Embeddings",
    after: ["the first block"],
    hint: "Add dx[b, t] into row ids[b, t] (never overwrite: 11 appears twice), starting from lm_head's dweight, since it is the same tensor.",
  },
  () => {
    const grads = gradients();
    expectClose(
      "the gradient of transformer.wte.weight",
      grads["transformer.wte.weight"],
      fx.f32("grad.transformer.wte.weight"),
      fx.tolerance,
      autograd,
    );
    expectEqual(
      "lm_head.weight's gradient is wte's (one tensor, one gradient)",
      grads["lm_head.weight"] === grads["transformer.wte.weight"],
      true,
    );
  },
);
