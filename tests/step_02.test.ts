// Step 02 · Causal masking — checks.
import { checksFor, expectClose, expectError, expectShape, expectTrue, loadStep, values } from "./harness.ts";
import { loadFixture } from "./fixtures.ts";

type Step = typeof import("../solutions/solution_02.ts");
const { causalMask } = await loadStep<Step>("02");
const check = checksFor("02");
const fixture = loadFixture("step_02");
const cases = fixture.config.cases as { T: number; past: number }[];

check(
  "shape is [T, past + T]",
  { section: "Shapes with a cache", hint: "Rows are the T new queries; columns are all past + T keys." },
  () => {
    for (const { T, past } of cases) expectShape(`causalMask(${T}, ${past})`, causalMask(T, past), [T, past + T]);
    expectShape("causalMask(3) (past defaults to 0)", causalMask(3), [3, 3]);
  },
);

check(
  "values are 0 and -Infinity only",
  {
    section: "The additive mask",
    hint: "Use 0 to keep a score and -Infinity to remove it; not 1/0, not a large negative number.",
  },
  () => {
    const bad = values(causalMask(4, 2)).filter((v) => v !== 0 && v !== -Infinity);
    expectTrue(
      "causalMask(4, 2) contains only 0 and -Infinity",
      bad.length === 0,
      `found ${bad.slice(0, 3).join(", ")}`,
    );
  },
);

check(
  "matches the PyTorch reference without a cache",
  {
    section: "The additive mask",
    hint: "Row i keeps columns 0…i (the diagonal included) and masks columns i+1 and after.",
  },
  () => {
    for (const { T, past } of cases.filter((c) => c.past === 0)) {
      expectClose(`causalMask(${T})`, causalMask(T), fixture.f32(`mask_T${T}_past${past}`), fixture.tolerance);
    }
  },
);

check(
  "matches the PyTorch reference with past tokens",
  {
    section: "Shapes with a cache",
    hint: "Query i sits at absolute position past + i, so it may see keys 0…past + i.",
  },
  () => {
    for (const { T, past } of cases.filter((c) => c.past > 0)) {
      expectClose(
        `causalMask(${T}, ${past})`,
        causalMask(T, past),
        fixture.f32(`mask_T${T}_past${past}`),
        fixture.tolerance,
      );
    }
  },
);

check(
  "every query can see itself",
  {
    section: "The additive mask",
    hint: "The diagonal (shifted by past) must stay 0, otherwise a row can be all -Infinity and softmax gives NaN.",
  },
  () => {
    const mask = causalMask(5, 3);
    for (let i = 0; i < 5; i++)
      expectTrue(
        `causalMask(5, 3) at [${i}, ${3 + i}] should be 0`,
        mask.get(i, 3 + i) === 0,
        `got ${mask.get(i, 3 + i)}`,
      );
  },
);

check(
  "rejects a bad T or past",
  {
    section: "Shapes with a cache",
    hint: "Throw a RangeError naming the value for T < 1, a negative past, or non-integers.",
  },
  async () => {
    await expectError("causalMask(0)", () => causalMask(0), [/\b0\b/], "RangeError");
    await expectError("causalMask(2.5)", () => causalMask(2.5), [/2\.5/], "RangeError");
    await expectError("causalMask(3, -1)", () => causalMask(3, -1), [/-1/], "RangeError");
  },
);
