// Step 17 · Cross-entropy loss — checks.
import { GPT2Config } from "../solutions/solution_01.ts";
import { GPT2LMHeadModel } from "../solutions/solution_13.ts";
import * as F from "../lib/functional.ts";
import { withoutInit } from "../lib/random.ts";
import { fromData, intTensor, zeros } from "../lib/tensor.ts";
import { loadFixture } from "./fixtures.ts";
import {
  Diagnosis,
  checksFor,
  expectClose,
  expectEqual,
  expectError,
  expectIds,
  expectShape,
  expectTrue,
  loadStep,
  values,
} from "./harness.ts";

type Step = typeof import("../solutions/solution_17.ts");
const { crossEntropy, crossEntropyBackward, nextTokenTargets } = await loadStep<Step>("17");
const check = checksFor("17");
const fx = loadFixture("step_17");
const scalar = (v: number) => fromData(Float32Array.of(v), [1]);

check(
  "crossEntropy matches PyTorch's F.cross_entropy: the mean of −log p(target) over B·T positions",
  {
    section: "The loss",
    hint: "For each position: log-sum-exp of the row minus the target's logit; then the mean over all B·T positions.",
  },
  () => {
    expectClose(
      "crossEntropy(logits, targets)",
      scalar(crossEntropy(fx.f32("logits"), fx.i32("targets"))),
      fx.f32("loss"),
      fx.tolerance,
    );
  },
);

check(
  "a model that knows nothing (all logits equal) scores ln(vocab_size)",
  { section: "The loss", hint: "Equal logits are a uniform guess: −log(1/V) = ln V at every position." },
  () => {
    const loss = crossEntropy(zeros([1, 3, 64]), intTensor([[5, 0, 63]]));
    expectClose(
      "crossEntropy(all-zero logits over 64 tokens)",
      scalar(loss),
      scalar(Math.log(64)),
      fx.tolerance,
      "ln 64",
    );
  },
);

check(
  "stays finite for huge logits (±1000): log-softmax subtracts the row's maximum first",
  {
    section: "Numerical stability",
    hint: "exp(1000) is Infinity in floating point. Compute max + log Σ exp(x − max) instead of log Σ exp(x), with max starting at −Infinity, not 0: a row far below 0 sums to exp(−1000…) = 0 otherwise.",
  },
  () => {
    const logits = fx.f32("big_logits");
    expectClose(
      "crossEntropy([[1000, 0, −1000, 999]], target 3)",
      scalar(crossEntropy(logits, intTensor([[3]]))),
      fx.f32("big_loss"),
      fx.tolerance,
    );
    // A row below zero everywhere: a maximum that starts at 0 instead of −∞ gives log(0).
    expectClose(
      "crossEntropy([[−1000, −1001, −1002, −999]], target 0)",
      scalar(crossEntropy(fx.f32("neg_logits"), intTensor([[0]]))),
      fx.f32("neg_loss"),
      fx.tolerance,
    );
  },
);

check(
  "a target far below its row's maximum costs what it should: log-softmax, not the log of a softmax",
  {
    section: "Numerical stability",
    hint: "A float32 probability underflows: exp(−200) is 0 in float32, and −log 0 is Infinity. Subtract instead: (z − max) − log Σ exp(z − max), as F.logSoftmax does.",
  },
  () => {
    const loss = crossEntropy(fromData(Float32Array.of(0, -200), [1, 1, 2]), intTensor([[1]]));
    if (loss === Number.POSITIVE_INFINITY)
      throw new Diagnosis(
        "crossEntropy([[0, −200]], target 1) is ∞ — log of softmax: exp(−200) is 0 in float32, and −log 0 is ∞",
        "Numerical stability",
      );
    // −log softmax = log(e⁰ + e⁻²⁰⁰) + 200, which is 200 to far more digits than float32 has.
    expectClose(
      "crossEntropy([[0, −200]], target 1)",
      scalar(loss),
      scalar(200),
      fx.tolerance,
      "200 + log(1 + e⁻²⁰⁰) = 200",
    );
  },
);

check(
  "crossEntropyBackward matches torch.autograd: (softmax − one-hot) / (B·T)",
  {
    section: "The gradient",
    hint: "Softmax of each row, minus 1 at the target, all divided by the number of positions B·T (the loss is a mean).",
  },
  () => {
    const grad = crossEntropyBackward(fx.f32("logits"), fx.i32("targets"));
    expectShape("crossEntropyBackward(logits, targets)", grad, fx.f32("logits").shape);
    expectClose("crossEntropyBackward(logits, targets)", grad, fx.f32("dlogits"), fx.tolerance);
  },
);

check(
  "both leave the logits unchanged, and work on logits that are a view (a slice of a larger tensor)",
  {
    section: "The loss",
    after: ["crossEntropy matches", "crossEntropyBackward matches"],
    hint: "Read logits through contiguousData(logits) (or .get), not logits.data: a view's numbers start at an offset, with strides. Write the gradient into a new array, never into the logits.",
  },
  () => {
    // First on a private copy: a function that writes into its input would change the fixture for every later check.
    const own = fromData(Float32Array.from(values(fx.f32("logits"))), fx.f32("logits").shape);
    const before = values(own);
    crossEntropy(own, fx.i32("targets"));
    crossEntropyBackward(own, fx.i32("targets"));
    expectTrue(
      "the logits after crossEntropy and crossEntropyBackward are the ones passed in",
      values(own).every((v, i) => v === before[i]),
      "your code wrote into its input: the model's logits (and a check's fixture) change under it",
    );
    const logits = fx.f32("logits"); // [B, T, V]
    const [B, T, V] = logits.shape;
    // Position 0 of a longer tensor holds other numbers: the real logits are a view at an offset.
    const view = F.split(F.concat([zeros([B, 1, V]), logits], 1), [1, T], 1)[1];
    expectClose(
      "crossEntropy(a view of the logits, targets)",
      scalar(crossEntropy(view, fx.i32("targets"))),
      fx.f32("loss"),
      fx.tolerance,
    );
    expectClose(
      "crossEntropyBackward(a view of the logits, targets)",
      crossEntropyBackward(view, fx.i32("targets")),
      fx.f32("dlogits"),
      fx.tolerance,
    );
  },
);

check(
  "crossEntropyBackward stays finite for huge logits (±1000) too",
  {
    section: "Numerical stability",
    after: ["crossEntropyBackward matches"],
    hint: "The gradient's softmax overflows just as the loss's would: subtract the row's maximum before exp (F.softmax does).",
  },
  () => {
    expectClose(
      "crossEntropyBackward([[1000, 0, −1000, 999]], target 3)",
      crossEntropyBackward(fx.f32("big_logits"), intTensor([[3]])),
      fx.f32("big_dlogits"),
      fx.tolerance,
      "torch.autograd",
    );
    expectClose(
      "crossEntropyBackward([[−1000, −1001, −1002, −999]], target 0)",
      crossEntropyBackward(fx.f32("neg_logits"), intTensor([[0]])),
      fx.f32("neg_dlogits"),
      fx.tolerance,
      "torch.autograd",
    );
  },
);

check(
  "nextTokenTargets shifts by one: inputs are tokens 0…T−1 of each window, targets 1…T",
  {
    section: "The shift by one",
    hint: "From a [B, T+1] window: inputs drop the last column, targets drop the first. Position t must predict token t+1.",
  },
  () => {
    const { inputs, targets } = nextTokenTargets(
      intTensor([
        [10, 11, 12, 13],
        [20, 21, 22, 23],
      ]),
    );
    expectIds(
      "inputs of row 0",
      [0, 1, 2].map((t) => inputs.get(0, t)),
      intTensor([10, 11, 12]),
    );
    const row1 = [0, 1, 2].map((t) => targets.get(1, t));
    if (row1.join() === "20,21,22")
      throw new Diagnosis(
        "targets of row 1 are [20, 21, 22], the inputs themselves — targets not shifted: each position asked to predict its own token",
        "The shift by one",
      );
    expectIds("targets of row 1", row1, intTensor([21, 22, 23]));
    expectEqual(
      "the shapes of inputs and targets",
      [[...inputs.shape], [...targets.shape]],
      [
        [2, 3],
        [2, 3],
      ],
    );
  },
);

check(
  "the tiny model's loss on a window of text matches PyTorch's",
  {
    section: "The shift by one",
    after: ["crossEntropy matches", "nextTokenTargets"],
    hint: "crossEntropy(model.forward(inputs), targets) with inputs and targets from nextTokenTargets(window).",
  },
  () => {
    const model = withoutInit(() => new GPT2LMHeadModel(new GPT2Config(fx.config)));
    model.loadStateDict(fx.lmHeadModel());
    const { inputs, targets } = nextTokenTargets(fx.i32("window"));
    expectClose(
      "the loss of the tiny model on the window",
      scalar(crossEntropy(model.forward(inputs), targets)),
      fx.f32("model_loss"),
      fx.tolerance,
    );
  },
);

check(
  "rejects targets that do not fit the logits, naming both shapes, and ids outside the vocabulary",
  { section: "The loss", hint: "targets must be [B, T] for logits [B, T, V], and every target an id 0…V−1." },
  async () => {
    await expectError(
      "crossEntropy(logits [2, 5, 64], targets [2, 4])",
      () =>
        crossEntropy(
          fx.f32("logits"),
          intTensor([
            [1, 2, 3, 4],
            [1, 2, 3, 4],
          ]),
        ),
      [/\[2, 5, 64\]/, /\[2, 4\]/],
    );
    const rows = (n: number, width: number) => Array.from({ length: n }, () => Array(width).fill(1));
    await expectError(
      "crossEntropy(logits [2, 5, 64], targets [3, 5])",
      () => crossEntropy(fx.f32("logits"), intTensor(rows(3, 5))),
      [/\[3, 5\]/],
    );
    await expectError(
      "crossEntropy(logits [2, 5, 64], targets [2, 5, 1])",
      () => crossEntropy(fx.f32("logits"), intTensor(rows(2, 5).map((r) => r.map((v) => [v])))),
      [/\[2, 5, 1\]/],
    );
    await expectError(
      "crossEntropy(logits [2, 5, 64], targets [10])",
      () => crossEntropy(fx.f32("logits"), intTensor(Array(10).fill(1))),
      [/\[10\]/],
    );
    await expectError(
      "crossEntropy(logits [5, 64], targets [5, 64])",
      () => crossEntropy(zeros([5, 64]), intTensor(rows(5, 64))),
      [/\[5, 64\]/],
    );
    await expectError(
      "crossEntropy(logits [1, 1, 64], target 64)",
      () => crossEntropy(zeros([1, 1, 64]), intTensor([[64]])),
      [/\b64\b/, /\b63\b/],
      "RangeError",
    );
    await expectError(
      "crossEntropy(logits [1, 1, 64], target −1)",
      () => crossEntropy(zeros([1, 1, 64]), intTensor([[-1]])),
      [/-1\b/],
      "RangeError",
    );
  },
);
